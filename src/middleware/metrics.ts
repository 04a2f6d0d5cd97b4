/**
 * Prometheus metrics for handlers (prom-client): how many messages each topic/group handled and how
 * (acked, retried, dead-lettered, deferred), how long handlers took, and which attempt they were on.
 * Register it outermost so it sees the final outcome of every delivery.
 */
import { Counter, Histogram, register as defaultRegistry } from "prom-client";
import type { Registry } from "prom-client";
import type { Middleware } from "../core/context.js";

export interface MetricsOptions {
  /** @defaultValue prom-client's global registry */
  registry?: Registry;
  /** Metric name prefix. @defaultValue "mqa_" */
  prefix?: string;
}

type Outcome = "ack" | "retry" | "dead-letter" | "error";

interface Instruments {
  handled: Counter<"topic" | "group" | "outcome">;
  duration: Histogram<"topic" | "group">;
  redelivered: Counter<"topic" | "group">;
}

const cache = new WeakMap<Registry, Map<string, Instruments>>();

function instruments(registry: Registry, prefix: string): Instruments {
  let byPrefix = cache.get(registry);
  if (!byPrefix) cache.set(registry, (byPrefix = new Map()));
  const existing = byPrefix.get(prefix);
  if (existing) return existing;
  const created: Instruments = {
    handled: new Counter({
      name: `${prefix}messages_handled_total`,
      help: "Deliveries handled, by final outcome (ack, retry, dead-letter, error).",
      labelNames: ["topic", "group", "outcome"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${prefix}handler_duration_seconds`,
      help: "Time from delivery to settlement.",
      labelNames: ["topic", "group"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    redelivered: new Counter({
      name: `${prefix}messages_redelivered_total`,
      help: "Deliveries whose attempt was above 1 (retries and redeliveries after a lost consumer).",
      labelNames: ["topic", "group"],
      registers: [registry],
    }),
  };
  byPrefix.set(prefix, created);
  return created;
}

/** Count and time every delivery. */
export function metrics(options: MetricsOptions = {}): Middleware {
  const m = instruments(options.registry ?? defaultRegistry, options.prefix ?? "mqa_");
  return (next) => async (ctx) => {
    const labels = { topic: ctx.message.topic, group: ctx.delivery.group };
    if (ctx.message.attempt > 1) m.redelivered.inc(labels);
    const end = m.duration.startTimer(labels);
    let outcome: Outcome = "ack";
    try {
      await next(ctx);
      outcome = ctx.settledAs ?? "ack";
    } catch (err) {
      outcome = "error";
      throw err;
    } finally {
      end();
      m.handled.inc({ ...labels, outcome });
    }
  };
}
