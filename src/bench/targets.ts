/**
 * Builds every side of a benchmark for a broker URL with identical settings: mqa and the raw clients.
 * Loaded on demand, like src/connect.ts, so benchmarking one broker never loads another's client.
 */
import { createTransport } from "../connect.js";
import { removeTopic } from "../cleanup/remove-topic.js";
import { MqaError } from "../core/errors.js";
import { mqaTarget } from "./mqa-target.js";
import type { ResolvedBenchOptions } from "./options.js";
import type { BenchTarget } from "./target.js";

export interface BenchSides {
  mqa: BenchTarget;
  /** Raw sides, in the order they run after mqa; empty for memory://. */
  raws: BenchTarget[];
  /** The throughput ratio issue 12 asks for on this broker (printed, never asserted). */
  targetFactor: number;
  notes: string[];
}

/** mqa and the raw clients for `o.broker`, configured the same way. */
export async function benchSides(o: ResolvedBenchOptions): Promise<BenchSides> {
  const protocol = new URL(o.broker).protocol;
  const tls = o.tls !== undefined && (protocol === "amqps:" || protocol === "rediss:") ? { tls: o.tls } : {};
  const remove = (topic: string, group: string): Promise<void> => removeTopic(o.broker, topic, [group], tls);
  if (protocol === "amqp:" || protocol === "amqps:") {
    const { createAmqpTransport } = await import("../transports/amqp/mod.js");
    const { rawAmqpTarget } = await import("./raw-amqp.js");
    const transport = createAmqpTransport({
      url: o.broker,
      ...tls,
      queueType: o.queueType,
      maxUnconfirmed: o.window,
      prefetch: o.prefetch,
    });
    const raws: BenchTarget[] = [];
    try {
      if (o.rawTopology !== "plain") raws.push(await rawAmqpTarget(o.broker, o.queueType, o.tls, "same"));
      if (o.rawTopology !== "same")
        raws.push(
          await rawAmqpTarget(
            o.broker,
            o.queueType,
            o.tls,
            "plain",
            o.rawTopology === "both" ? "comparison" : "baseline",
          ),
        );
    } catch (err) {
      for (const r of raws) await r.close().catch(() => undefined);
      throw err;
    }
    return {
      mqa: mqaTarget(transport, remove),
      raws,
      targetFactor: 0.95,
      notes: [
        `${o.queueType} queues on every side; persistent, mandatory publishes with confirms; mqa in its default topology (topic exchange, dead-letter queue, delay levels)`,
        ...(o.rawTopology !== "plain"
          ? [
              "amqplib: the same queue arguments mqa declares for a group (dead-letter exchange and key, at-least-once dead-lettering and reject-publish overflow on quorum queues, delivery limit)",
            ]
          : []),
        ...(o.rawTopology !== "same"
          ? [
              `amqplib plain: a queue with x-queue-type only${o.rawTopology === "both" ? " (a comparison, never the headline: a cheaper broker-side workload than mqa's)" : ""}`,
            ]
          : []),
      ],
    };
  }
  if (protocol === "redis:" || protocol === "rediss:") {
    const { createRedisTransport } = await import("../transports/redis/mod.js");
    const transport = createRedisTransport({
      url: o.broker,
      ...tls,
      maxInFlight: o.window,
      // The raw clients queue without bound; in an open-loop latency round above what mqa sustains,
      // mqa's default bound (10,000 waiting) would reject publishes by design instead of showing latency.
      maxQueuedPublishes: Math.max(10_000, o.messages),
    });
    const raws: BenchTarget[] = [];
    const missing: string[] = [];
    try {
      for (const client of o.rawRedis) {
        if (client === "ioredis") {
          const { rawRedisTarget } = await import("./raw-redis.js");
          raws.push(await rawRedisTarget(o.broker, o.tls));
        } else {
          const loaded = await import("./raw-node-redis.js").catch((err: unknown) => {
            // node-redis is a dev dependency: an installed mqa measures against ioredis alone, and says so.
            if ((err as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw err;
            missing.push(client);
            return undefined;
          });
          if (loaded) raws.push(await loaded.rawNodeRedisTarget(o.broker, o.tls));
        }
      }
      if (raws.length === 0)
        throw new MqaError(
          "invalid-options",
          `no raw Redis client could be loaded (${missing.join(", ")} not installed): add ioredis to --raw`,
        );
    } catch (err) {
      for (const r of raws) await r.close().catch(() => undefined);
      throw err;
    }
    return {
      mqa: mqaTarget(transport, remove),
      raws,
      targetFactor: 0.9,
      notes: [
        "raw: XADD auto-pipelined with the same number in flight; XREADGROUP COUNT = prefetch with ONE multi-id XACK per batch, sent in the same write as the next read",
        ...missing.map((c) => `${c} is not installed (a dev dependency of mqa): not measured`),
      ],
    };
  }
  if (protocol === "memory:") {
    return {
      mqa: mqaTarget(await createTransport(o.broker)),
      raws: [],
      targetFactor: 0.9,
      notes: [
        "memory:// has no raw client to compare with: mqa figures only, no ratios; its CPU per message includes the embedded broker",
      ],
    };
  }
  throw new MqaError("unsupported", `mqa bench does not support ${protocol}// brokers`);
}
