// mqa's Redis transport against raw ioredis with the same settings, on the local Redis:
//   publish — 256 B payload, 500 publishes in flight (mqa: maxInFlight 500; raw: a 500-command window)
//   consume — pre-filled stream, batches of up to 500 (mqa: prefetch 500, handler acks; raw: XREADGROUP
//             COUNT 500 + one XACK per batch)
// Rounds alternate raw / mqa; medians and the mqa/raw ratio are printed. Not a test.
// Usage: npm run build && node bench/redis-transport.mjs [url] [messages] [rounds]
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { createRedisTransport } from "../dist/transports/redis/mod.js";

const url = process.argv[2] ?? "redis://127.0.0.1:6379";
const N = Number(process.argv[3] ?? 20_000);
const ROUNDS = Number(process.argv[4] ?? 3);
const WINDOW = 500;
const payload = randomBytes(256);
const prefix = `mqa-bench-${randomBytes(4).toString("hex")}`;
const rate = (t0) => N / ((performance.now() - t0) / 1000);

async function windowed(op) {
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < N) await op(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return rate(t0);
}

async function raw(round) {
  const c = new Redis(url);
  const key = `${prefix}:raw:${round}`;
  await c.xgroup("CREATE", key, "g", "0", "MKSTREAM");
  const publish = await windowed((i) => c.xadd(key, "*", "id", String(i), "p", payload));
  const t0 = performance.now();
  let got = 0;
  while (got < N) {
    const res = await c.xreadgroup("GROUP", "g", "c", "COUNT", WINDOW, "BLOCK", 100, "STREAMS", key, ">");
    const entries = res?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    await c.xack(key, "g", ...entries.map((e) => e[0]));
    got += entries.length;
  }
  const consume = rate(t0);
  await c.del(key);
  c.disconnect();
  return { publish, consume };
}

async function mqa(round) {
  const keyPrefix = `${prefix}:mqa${round}`;
  const t = createRedisTransport({ url, keyPrefix, maxInFlight: WINDOW });
  await t.declare({ topic: "bench", group: "g" });
  const publish = await windowed((i) => t.publish("bench", { id: String(i), payload }));
  let got = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const t0 = performance.now();
  await t.subscribe(
    "bench",
    "g",
    async (d) => {
      await d.ack();
      if (++got === N) done();
    },
    { prefetch: WINDOW },
  );
  await finished;
  const consume = rate(t0);
  await t.close();
  const c = new Redis(url);
  const keys = await c.keys(`${keyPrefix}:*`);
  if (keys.length) await c.del(...keys);
  c.disconnect();
  return { publish, consume };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = { raw: { publish: [], consume: [] }, mqa: { publish: [], consume: [] } };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of [
    ["raw", raw],
    ["mqa", mqa],
  ]) {
    const r = await run(round);
    res[name].publish.push(r.publish);
    res[name].consume.push(r.consume);
  }
}
const fmt = (x) => Math.round(x).toLocaleString("en-US").padStart(8);
console.log(`N=${N} rounds=${ROUNDS} in-flight/batch=${WINDOW} payload=256B url=${url}`);
for (const op of ["publish", "consume"]) {
  const a = median(res.raw[op]);
  const b = median(res.mqa[op]);
  console.log(
    `${op.padEnd(8)} raw ioredis ${fmt(a)} msg/s   mqa ${fmt(b)} msg/s   mqa/raw ${(b / a).toFixed(2)}`,
  );
}
