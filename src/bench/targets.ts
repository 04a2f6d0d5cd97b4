/**
 * Builds both sides of a benchmark for a broker URL with identical settings. Loaded on demand, like
 * src/connect.ts, so benchmarking one broker never loads another's client.
 */
import { createTransport } from "../connect.js";
import { removeTopic } from "../cleanup/remove-topic.js";
import { MqaError } from "../core/errors.js";
import { mqaTarget } from "./mqa-target.js";
import type { ResolvedBenchOptions } from "./options.js";
import type { BenchTarget } from "./target.js";

export interface BenchSides {
  mqa: BenchTarget;
  raw: BenchTarget | undefined;
  notes: string[];
}

/** mqa and the raw client for `o.broker`, configured the same way. */
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
    return {
      mqa: mqaTarget(transport, remove),
      raw: await rawAmqpTarget(o.broker, o.queueType, o.tls),
      notes: [`${o.queueType} queues on both sides; persistent, mandatory publishes with confirms`],
    };
  }
  if (protocol === "redis:" || protocol === "rediss:") {
    const { createRedisTransport } = await import("../transports/redis/mod.js");
    const { rawRedisTarget } = await import("./raw-redis.js");
    const transport = createRedisTransport({
      url: o.broker,
      ...tls,
      maxInFlight: o.window,
      // The raw client queues without bound; in an open-loop latency round above what mqa sustains,
      // mqa's default bound (10,000 waiting) would reject publishes by design instead of showing latency.
      maxQueuedPublishes: Math.max(10_000, o.messages),
    });
    return {
      mqa: mqaTarget(transport, remove),
      raw: await rawRedisTarget(o.broker, o.tls),
      notes: [
        "XADD pipelined on both sides (auto-pipelining: one write per event-loop turn); XREADGROUP COUNT = prefetch, XACK per entry",
      ],
    };
  }
  if (protocol === "memory:") {
    return {
      mqa: mqaTarget(await createTransport(o.broker)),
      raw: undefined,
      notes: ["memory:// has no raw client to compare with: mqa figures only, no ratios"],
    };
  }
  throw new MqaError("unsupported", `mqa bench does not support ${protocol}// brokers`);
}
