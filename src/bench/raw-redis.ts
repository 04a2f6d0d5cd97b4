/**
 * The raw-ioredis side of the benchmark, pipelined like mqa's Redis transport: XADD with a bounded
 * number in flight on one connection with ioredis' auto-pipelining (what one event-loop turn issues goes
 * out in one write, as on mqa's command connection); a consumer group read with XREADGROUP COUNT
 * <prefetch> on a connection of its own and one XACK per entry.
 */
import type { Redis, RedisOptions } from "ioredis";
import { connectRedisClient } from "../brokers/redis-client.js";
import type { BrokerTlsOptions } from "../connect.js";
import type { BenchQueue, BenchTarget } from "./target.js";

type Entries = Array<[Buffer, Buffer[]]>;

/** A connected client that fails fast with the server's reason (see connectRedisClient). */
const connectClient = (url: string, options: RedisOptions): Promise<Redis> =>
  connectRedisClient(url, options);

/** Raw ioredis target for `url`. */
export async function rawRedisTarget(url: string, tls?: BrokerTlsOptions): Promise<BenchTarget> {
  const secure: RedisOptions = /^rediss:/i.test(url) && tls ? { tls } : {};
  const client = await connectClient(url, { ...secure, enableAutoPipelining: true });
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
          const reader = await connectClient(url, secure);
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
