// Measures ioredis vs node-redis ("redis") on the operations the Redis transport lives on:
//   xadd     — XADD of a 256 B payload, pipelined with a bounded window of commands in flight
//   consume  — XREADGROUP (COUNT, BLOCK) + one XACK per batch, from a pre-filled stream
// Rounds alternate A B A B on the same server; the median of each is printed with the ratio.
// Usage: node bench/redis-client.mjs [url] [messages] [rounds]
// (node-redis is a dev dependency, as `mqa bench`'s second raw Redis baseline:
// docs/decisions/0052-node-redis-baseline.md; the transport's choice is docs/decisions/0020-redis-client.md)
// Not a test: timings belong here, never in pass/fail tests.
import { Redis } from "ioredis";
import { createClient } from "redis";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";

const url = process.argv[2] ?? "redis://127.0.0.1:6379";
const N = Number(process.argv[3] ?? 20_000);
const ROUNDS = Number(process.argv[4] ?? 5);
const WINDOW = 500; // commands in flight while publishing
const BATCH = 500; // XREADGROUP COUNT
const payload = randomBytes(128).toString("hex"); // 256 B
const prefix = `mqa-bench:${randomBytes(4).toString("hex")}`;

/** Run `op(i)` N times with at most WINDOW in flight; returns msgs/s. */
async function windowed(op) {
  let next = 0;
  const t0 = performance.now();
  async function lane() {
    while (next < N) await op(next++);
  }
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return N / ((performance.now() - t0) / 1000);
}

const clients = {
  ioredis: {
    async open() {
      const c = new Redis(url, { lazyConnect: true });
      await c.connect();
      return c;
    },
    xadd: (c, key) => windowed(() => c.xadd(key, "*", "p", payload)),
    async consume(c, key) {
      const t0 = performance.now();
      let got = 0;
      while (got < N) {
        const res = await c.xreadgroup("GROUP", "g", "c1", "COUNT", BATCH, "BLOCK", 100, "STREAMS", key, ">");
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        await c.xack(key, "g", ...entries.map((e) => e[0]));
        got += entries.length;
      }
      return N / ((performance.now() - t0) / 1000);
    },
    close: (c) => c.quit(),
    cmd: (c, ...args) => c.call(...args),
  },
  "node-redis": {
    async open() {
      const c = createClient({ url });
      await c.connect();
      return c;
    },
    xadd: (c, key) => windowed(() => c.xAdd(key, "*", { p: payload })),
    async consume(c, key) {
      const t0 = performance.now();
      let got = 0;
      while (got < N) {
        const res = await c.xReadGroup("g", "c1", { key, id: ">" }, { COUNT: BATCH, BLOCK: 100 });
        const entries = res?.[0]?.messages ?? [];
        if (entries.length === 0) continue;
        await c.xAck(
          key,
          "g",
          entries.map((e) => e.id),
        );
        got += entries.length;
      }
      return N / ((performance.now() - t0) / 1000);
    },
    close: (c) => c.quit(),
    cmd: (c, ...args) => c.sendCommand(args.map(String)),
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { ioredis: { xadd: [], consume: [] }, "node-redis": { xadd: [], consume: [] } };

for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(clients)) {
    const impl = clients[name];
    const c = await impl.open();
    const key = `${prefix}:${name}:${round}`;
    results[name].xadd.push(await impl.xadd(c, key));
    // Every XADD above was for this round's stream: consume exactly those.
    await impl.cmd(c, "XGROUP", "CREATE", key, "g", "0");
    results[name].consume.push(await impl.consume(c, key));
    await impl.cmd(c, "DEL", key);
    await impl.close(c);
  }
}

const fmt = (x) => Math.round(x).toLocaleString("en-US").padStart(8);
console.log(`N=${N} rounds=${ROUNDS} window=${WINDOW} batch=${BATCH} payload=256B url=${url}`);
for (const op of ["xadd", "consume"]) {
  const a = median(results.ioredis[op]);
  const b = median(results["node-redis"][op]);
  console.log(
    `${op.padEnd(8)} ioredis ${fmt(a)} msg/s   node-redis ${fmt(b)} msg/s   ioredis/node-redis ${(a / b).toFixed(2)}`,
  );
}
