/**
 * The raw node-redis side of the benchmark (the second raw Redis baseline, docs/decisions/
 * 0052-node-redis-baseline.md), used the way node-redis is strongest: commands issued in one event-loop
 * turn go out in one write (its own auto-pipelining); XADD with a bounded number in flight on one
 * client; XREADGROUP COUNT <prefetch> on a client of its own, replies as Buffers, and ONE multi-id XACK
 * per batch, written in the same turn as the next XREADGROUP.
 */
import { createClient, RESP_TYPES } from "redis";
import type { BrokerTlsOptions } from "../connect.js";
import { BrokerApiError } from "../brokers/errors.js";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import { packageVersion } from "./versions.js";
import type { BenchQueue, BenchTarget } from "./target.js";

/** A node-redis client that never reconnects on its own (a lost connection fails the round). */
function newClient(url: string, tls: BrokerTlsOptions | undefined) {
  const secure = /^rediss:/i.test(url) && tls ? { tls: true as const, ...tls } : {};
  return createClient({ url, socket: { ...secure, reconnectStrategy: false } });
}

type Client = ReturnType<typeof newClient>;

/** A connected node-redis client; a failed first connect rejects once (no reconnect loop). */
async function connect(url: string, tls: BrokerTlsOptions | undefined): Promise<Client> {
  const client = newClient(url, tls);
  client.on("error", () => undefined); // a failure surfaces as the rejected call
  try {
    await client.connect();
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new BrokerApiError(`cannot connect to Redis at ${maskUrl(url)}: ${maskSecretsInText(why)}`, {
      cause,
    });
  }
  return client;
}

/** Raw node-redis target for `url`. */
export async function rawNodeRedisTarget(url: string, tls?: BrokerTlsOptions): Promise<BenchTarget> {
  const client = await connect(url, tls);
  return {
    label: "node-redis",
    role: "baseline",
    client: `node-redis ${packageVersion("redis") ?? "?"}`,
    async open(name: string): Promise<BenchQueue> {
      const stream = `bench:raw:${name}`;
      await client.xGroupCreate(stream, "g", "$", { MKSTREAM: true });
      return {
        async publish(payload) {
          await client.xAdd(stream, "*", { p: payload });
        },
        async consume(prefetch, onMessage) {
          const reader = (await connect(url, tls)).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
          let running = true;
          const loop = (async () => {
            let acked: Promise<unknown> = Promise.resolve();
            while (running) {
              // Issued in the same turn as the previous batch's XACK: both leave in one write.
              const res = await reader.xReadGroup(
                "g",
                "c",
                { key: stream, id: ">" },
                { COUNT: prefetch, BLOCK: 100 },
              );
              await acked;
              const messages = res?.[0]?.messages ?? [];
              if (messages.length === 0) {
                acked = Promise.resolve();
                continue;
              }
              const ids: Buffer[] = new Array<Buffer>(messages.length);
              for (let i = 0; i < messages.length; i++) {
                const m = messages[i] as { id: Buffer; message: Record<string, Buffer> };
                onMessage(m.message["p"] as Buffer);
                ids[i] = m.id;
              }
              acked = reader.xAck(stream, "g", ids);
            }
            await acked;
          })();
          return async () => {
            running = false;
            await loop;
            reader.destroy();
          };
        },
        async dispose() {
          await client.del(stream);
        },
      };
    },
    async close() {
      client.destroy();
    },
  };
}
