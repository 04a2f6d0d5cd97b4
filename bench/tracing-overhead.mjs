// What tracing costs when nobody collects it (issue 15): publish + consume N messages through the Router on
// the in-memory broker (no network, so the wrapper's own CPU time shows), plain vs `withTracing(transport)`
// with @opentelemetry/api installed but no SDK registered (what a library user without tracing gets), and,
// for scale, with an SDK recording every span in memory. Rounds alternate A B C A B C; medians and the
// ratio to plain are printed. With a Redis URL the same runs go through Redis Streams instead (keys under a
// random prefix, deleted at the end). Run after `npm run build`:
//   node bench/tracing-overhead.mjs [messages=20000] [rounds=5] [redis://127.0.0.1:6379]
// Not a test: timings belong here, never in pass/fail tests.
import { performance } from "node:perf_hooks";
import { Router } from "../dist/core/router.js";
import { MemoryBroker, MemoryTransport } from "../dist/transports/memory/mod.js";
import { withTracing } from "../dist/tracing/mod.js";
import { createRedisTransport } from "../dist/transports/redis/mod.js";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

const N = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const REDIS_URL = process.argv[4];
const prefix = `mqa-bench-tracing-${randomBytes(4).toString("hex")}`;
const payload = new Uint8Array(256);
let round = 0;

let sdkProvider;
try {
  const sdk = await import("@opentelemetry/sdk-trace-base");
  // A sampler that records everything, and a processor that drops the spans: the cost of making them.
  sdkProvider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.NoopSpanProcessor()] });
} catch {
  sdkProvider = undefined;
}

/** msg/s for publishing N messages (500 in flight) and consuming them all through a Router. */
async function run(variant) {
  const raw = REDIS_URL
    ? createRedisTransport({ url: REDIS_URL, keyPrefix: `${prefix}-${round++}` })
    : new MemoryTransport({ broker: new MemoryBroker() });
  const transport =
    variant === "plain"
      ? raw
      : await withTracing(raw, variant === "sdk" ? { tracerProvider: sdkProvider } : {});
  let handled = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const router = new Router(transport);
  router.handle({
    topic: "bench",
    group: "g",
    prefetch: 100,
    contentType: "application/octet-stream",
    handler: () => {
      if (++handled === N) resolveDone();
    },
  });
  await router.start();
  const t0 = performance.now();
  const inFlight = new Set();
  for (let i = 0; i < N; i++) {
    const p = transport.publish("bench", { payload }).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 500) await Promise.race(inFlight);
  }
  await done;
  const rate = N / ((performance.now() - t0) / 1000);
  await router.stop();
  await transport.close();
  return rate;
}

const variants = ["plain", "traced, no SDK", ...(sdkProvider ? ["sdk"] : [])];
const results = Object.fromEntries(variants.map((v) => [v, []]));
await run("plain"); // warm-up
for (let r = 0; r < ROUNDS; r++)
  for (const v of variants) results[v].push(await run(v === "traced, no SDK" ? "traced" : v));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.plain);
if (REDIS_URL) {
  const client = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}-*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
  client.disconnect();
}
const where = REDIS_URL ? "Redis Streams" : "the memory broker";
console.log(`publish + consume ${N} messages on ${where}, median of ${ROUNDS} rounds`);
for (const v of variants) {
  const m = median(results[v]);
  const label = v === "sdk" ? "traced, SDK recording" : v;
  console.log(
    `  ${label.padEnd(24)} ${Math.round(m).toString().padStart(8)} msg/s   ratio ${(m / base).toFixed(2)}`,
  );
}
if (!sdkProvider) console.log("  (@opentelemetry/sdk-trace-base not installed: SDK row skipped)");
