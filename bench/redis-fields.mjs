// What the entry layout costs on the raw client: XADD with mqa's 7 fields vs 1 field, pipelined the
// same way as `mqa bench` (1,000 in flight). Run after `npm run build`:
//   node bench/redis-fields.mjs [redis://127.0.0.1:6379] [messages=20000] [payload bytes=256]
// Prints msg/s and CPU µs per XADD for each layout, 3 rounds each, alternating.
import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";

const url = process.argv[2] ?? "redis://127.0.0.1:6379";
const n = Number(process.argv[3] ?? 20000);
const payload = Buffer.alloc(Number(process.argv[4] ?? 256), 1);
const client = new Redis(url);
const layouts = {
  "1 field (p)": (stream) => client.xadd(stream, "*", "p", payload),
  "7 fields (mqa)": (stream) =>
    client.xadd(
      stream,
      "*",
      "id",
      "0190b6d2-7c1e-7aaa-8bbb-123456789abc",
      "ct",
      "application/octet-stream",
      "ts",
      String(Date.now()),
      "a",
      "1",
      "h",
      "{}",
      "p",
      payload,
    ),
};
for (let round = 0; round < 3; round++) {
  for (const [name, xadd] of Object.entries(layouts)) {
    const stream = `mqa.bench-fields.${process.pid}.${round}`;
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    let sent = 0;
    let done = 0;
    await new Promise((resolve, reject) => {
      const pump = () => {
        while (sent < n && sent - done < 1000) {
          sent++;
          xadd(stream).then(() => (++done === n ? resolve() : pump()), reject);
        }
      };
      pump();
    });
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `round ${round + 1} ${name.padEnd(15)} ${Math.round((n / ms) * 1000)} msg/s, ${((cpu.user + cpu.system) / n).toFixed(1)} µs CPU per XADD`,
    );
    await client.del(stream);
  }
}
client.disconnect();
