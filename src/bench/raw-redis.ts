/**
 * The raw-ioredis side of the benchmark, at the strongest reasonable use of the client: XADD with a
 * bounded number in flight on one connection with auto-pipelining (what one event-loop turn issues goes
 * out in one write); a consumer group read with XREADGROUP COUNT <prefetch> on a connection of its own,
 * and ONE multi-id XACK per batch, written in the same turn as the next XREADGROUP (one round trip per
 * batch). A tuned raw consumer does exactly this; an XACK per entry would flatter mqa.
 */
import type { Redis, RedisOptions } from "ioredis";
import { connectRedisClient } from "../brokers/redis-client.js";
import type { BrokerTlsOptions } from "../connect.js";
import { packageVersion } from "./versions.js";
import type { BenchQueue, BenchTarget } from "./target.js";

type Entries = Array<[Buffer, Buffer[]]>;

/** Raw ioredis target for `url`. */
export async function rawRedisTarget(url: string, tls?: BrokerTlsOptions): Promise<BenchTarget> {
  const secure: RedisOptions = /^rediss:/i.test(url) && tls ? { tls } : {};
  const client = await connectRedisClient(url, { ...secure, enableAutoPipelining: true });
  return {
    label: "ioredis",
    role: "baseline",
    client: `ioredis ${packageVersion("ioredis") ?? "?"}`,
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
          const reader: Redis = await connectRedisClient(url, { ...secure, enableAutoPipelining: true });
          let running = true;
          const loop = (async () => {
            let acked: Promise<unknown> = Promise.resolve();
            while (running) {
              // Issued in the same turn as the previous batch's XACK: both leave in one write.
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
              await acked; // replied to before the read (same connection, replies in order)
              const entries = res?.[0]?.[1] ?? [];
              if (entries.length === 0) {
                acked = Promise.resolve();
                continue;
              }
              const ids: Buffer[] = new Array<Buffer>(entries.length);
              for (let i = 0; i < entries.length; i++) {
                const [id, fields] = entries[i] as [Buffer, Buffer[]];
                onMessage(fields[1] as Buffer);
                ids[i] = id;
              }
              acked = reader.xack(stream, "g", ...ids);
            }
            await acked;
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
