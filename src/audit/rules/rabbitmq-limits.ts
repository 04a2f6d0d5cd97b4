/** RabbitMQ limits rules: unbounded queues and vhosts, and settings that cost memory or do nothing. */
import { describe, numberSetting, stringSetting } from "../effective.js";
import {
  defsOf,
  effectiveQueues,
  isDeadLetterQueue,
  isDelayQueue,
  isWorkQueue,
  policyFix,
  queueRef,
  releaseBefore,
  removalFix,
} from "./helpers.js";
import type { Rule } from "./rule.js";

export const noLengthLimit: Rule = {
  id: "rmq-no-length-limit",
  title: "Queue has no length limit",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A stalled consumer lets the queue grow until the node hits its memory or disk alarm, which blocks EVERY publisher on the broker, not just this queue's.",
  fix: 'rabbitmqctl set_policy ... \'{"max-length": 1000000, "overflow": "reject-publish"}\'',
  check(ctx) {
    if (releaseBefore(ctx, 3, 1)) return []; // max-length arrived in 3.1
    return (
      effectiveQueues(ctx)
        // Delay queues (mqa's levels) empty themselves by expiry; a length limit there would refuse retries.
        .filter((e) => isWorkQueue(e.queue) && e.queue.type !== "stream" && !isDelayQueue(ctx, e))
        .filter(
          (e) =>
            numberSetting(e, "max-length") === undefined &&
            numberSetting(e, "max-length-bytes") === undefined,
        )
        .map((e) => {
          const dlq = isDeadLetterQueue(ctx, e.queue);
          return {
            ...queueRef(e.queue),
            message: `${dlq ? "dead-letter queue" : "queue"} ${e.queue.name} has neither max-length nor max-length-bytes`,
            // A full DLQ must not drop dead letters silently: reject-publish refuses them, and a quorum
            // source that dead-letters at-least-once keeps each refused one until the DLQ has room.
            fix: dlq
              ? `${policyFix(e, { "max-length": 100_000, overflow: "reject-publish" })}\n# reject-publish, never drop-head: with x-dead-letter-strategy at-least-once on the source queues a full DLQ holds new dead letters back in their sources (nothing lost; alert on DLQ depth); with at-most-once dead-lettering they would be dropped`
              : policyFix(e, { "max-length": 1_000_000, overflow: "reject-publish" }),
          };
        })
    );
  },
};

export const vhostWithoutLimits: Rule = {
  id: "rmq-vhost-without-limits",
  title: "Virtual host without connection or queue limits",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A client bug that opens connections or declares queues in a loop can exhaust the node's file descriptors or memory and take down every other vhost.",
  fix: 'rabbitmqctl set_vhost_limits -p {vhost} \'{"max-connections": 1000, "max-queues": 5000}\'',
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    // A topology spec cannot state vhost limits (they are set with rabbitmqctl, not declared), so their
    // absence from a spec says nothing: the rule judges definitions exports and live brokers only.
    if (ctx.model.source.kind === "spec-file") return [];
    if (releaseBefore(ctx, 3, 7)) return []; // vhost limits arrived in 3.7
    const withLimits = new Set(
      defs.parameters.filter((p) => p.component === "vhost-limits").map((p) => p.vhost),
    );
    return defs.vhosts
      .filter((v) => !withLimits.has(v) && defs.queues.some((qq) => qq.vhost === v))
      .map((v) => ({
        resource: `vhost ${v}`,
        location: { kind: "vhost", name: v },
        message: `vhost ${v} has no max-connections / max-queues limit`,
        params: { vhost: `'${v}'` },
      }));
  },
};

export const highMaxPriority: Rule = {
  id: "rmq-high-max-priority",
  title: "Priority queue with many priority levels",
  severity: "low",
  category: "performance",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Each priority level is a separate internal queue with its own memory and CPU cost; above 10 levels throughput drops and memory grows for no practical gain.",
  fix: "declare {queue} with x-max-priority ≤ 10 (usually 2–5 is enough)",
  check(ctx) {
    const max = ctx.thresholds.maxPriority;
    return effectiveQueues(ctx)
      .filter((e) => (numberSetting(e, "max-priority") ?? 0) > max)
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "max-priority")} (> ${max})`,
        params: { queue: e.queue.name },
      }));
  },
};

export const lazyMode: Rule = {
  id: "rmq-lazy-mode",
  title: "queue-mode lazy (a no-op since 3.12)",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Since RabbitMQ 3.12 classic queues always page to disk and ignore queue-mode; keeping it suggests a memory behaviour that is not there and clutters policies.",
  fix: "remove queue-mode from the policy or arguments",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => stringSetting(e, "queue-mode") === "lazy")
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "queue-mode")}`,
        fix: removalFix(e, "queue-mode"),
      }));
  },
};

export const classicQueueV1: Rule = {
  id: "rmq-classic-queue-v1",
  title: "Classic queue storage version 1",
  severity: "low",
  category: "performance",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Version 1 classic queue storage is slower, uses more memory, and is removed in RabbitMQ 4.0: an upgrade forces a conversion.",
  fix: "rabbitmqctl set_policy ... '{\"queue-version\": 2}'",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => e.queue.type === "classic" && numberSetting(e, "queue-version") === 1)
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "queue-version")}`,
        fix: policyFix(e, { "queue-version": 2 }),
      }));
  },
};

export const inMemoryLimits: Rule = {
  id: "rmq-quorum-in-memory-limit",
  title: "Deprecated quorum in-memory limits",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "max-in-memory-length/bytes are ignored since 3.12 (quorum queues keep no message bodies in memory); relying on them for memory control is relying on nothing.",
  fix: "remove max-in-memory-length / max-in-memory-bytes; bound the queue with max-length instead",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => e.queue.type === "quorum")
      .filter((e) => e.settings.has("max-in-memory-length") || e.settings.has("max-in-memory-bytes"))
      .map((e) => ({
        ...queueRef(e.queue),
        message: `quorum queue ${e.queue.name}: ${e.settings.has("max-in-memory-length") ? describe(e, "max-in-memory-length") : describe(e, "max-in-memory-bytes")}`,
        fix: removalFix(
          e,
          e.settings.has("max-in-memory-length") ? "max-in-memory-length" : "max-in-memory-bytes",
        ),
      }));
  },
};

export const rabbitmqLimitsRules: Rule[] = [
  noLengthLimit,
  vhostWithoutLimits,
  highMaxPriority,
  lazyMode,
  classicQueueV1,
  inMemoryLimits,
];
