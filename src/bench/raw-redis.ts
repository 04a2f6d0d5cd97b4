/**
 * The raw-ioredis side of the benchmark, pipelined like mqa's Redis transport: XADD with a bounded
 * number in flight on one connection with ioredis' auto-pipelining (what one event-loop turn issues goes
 * out in one write, as on mqa's command connection); a consumer group read with XREADGROUP COUNT
 * <prefetch> on a connection of its own and one XACK per entry.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { BrokerTlsOptions } from "../connect.js";
import { MqaError } from "../core/errors.js";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import type { BenchQueue, BenchTarget } from "./target.js";

type Entries = Array<[Buffer, Buffer[]]>;

/**
 * A connected client: the first connect fails fast with the server's reason as `cause` (WRONGPASS,
 * ECONNREFUSED), and `error` events are consumed, so ioredis never prints "Unhandled error event".
 */
async function connectClient(url: string, options: RedisOptions): Promise<Redis> {
  let reason: Error | undefined;
  const client = new Redis(url, { ...options, lazyConnect: true, retryStrategy: () => null });
  client.on("error", (err: Error) => void (reason ??= err));
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const cause = reason ?? (err as Error);
    throw new MqaError(
      "connection-closed",
      `cannot connect to Redis at ${maskUrl(url)}: ${maskSecretsInText(cause.message)}`,
      { cause },
    );
  }
  return client;
}

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
