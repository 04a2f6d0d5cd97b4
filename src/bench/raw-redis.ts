/**
 * The raw-ioredis side of the benchmark, pipelined like mqa's Redis transport: XADD with a bounded
 * number in flight on one connection with ioredis' auto-pipelining (what one event-loop turn issues goes
 * out in one write, as on mqa's command connection); a consumer group read with XREADGROUP COUNT
 * <prefetch> on a connection of its own and one XACK per entry.
 */
import { Redis } from "ioredis";
import type { BenchQueue, BenchTarget } from "./target.js";

type Entries = Array<[Buffer, Buffer[]]>;

/** Raw ioredis target for `url`. */
export async function rawRedisTarget(url: string): Promise<BenchTarget> {
  const client = new Redis(url, { lazyConnect: true, enableAutoPipelining: true });
  await client.connect();
  return {
    label: "ioredis",
    brokerVersion: async () => {
      const m = /redis_version:(\S+)/.exec(await client.info("server"));
      return m ? `Redis ${m[1]}` : undefined;
    },
    async open(name: string): Promise<BenchQueue> {
      const stream = `bench:raw:${name}`;
      await client.xgroup("CREATE", stream, "g", "$", "MKSTREAM");
      return {
        async publish(payload) {
          await client.xadd(stream, "*", "p", payload);
        },
        async consume(prefetch, onMessage) {
          const reader = new Redis(url);
          let running = true;
          const loop = (async () => {
            while (running) {
              const res = (await reader.xreadgroupBuffer(
                "GROUP",
                "g",
                "c",
                "COUNT",
                prefetch,
                "BLOCK",
                100,
                "STREAMS",
                stream,
                ">",
              )) as Array<[Buffer, Entries]> | null;
              const entries = res?.[0]?.[1] ?? [];
              const acks: Array<Promise<unknown>> = [];
              for (const [id, fields] of entries) {
                onMessage(fields[1] as Buffer);
                acks.push(client.xack(stream, "g", id));
              }
              await Promise.all(acks);
            }
          })();
          return async () => {
            running = false;
            await loop;
            reader.disconnect();
          };
        },
        async dispose() {
          await client.del(stream);
        },
      };
    },
    async close() {
      client.disconnect();
    },
  };
}
