/** RabbitMQ dead-lettering rules: where rejected, expired and overflowing messages go (or fail to go). */
import { declarationIndex } from "./declaration-index.js";
import { describe, numberSetting, stringSetting } from "../effective.js";
import type { EffectiveQueue } from "../effective.js";
import {
  defsOf,
  effectiveQueues,
  exchangeExists,
  isDeadLetterQueue,
  isDelayQueue,
  isWorkQueue,
  policyFix,
  queueRef,
  routesSomewhere,
} from "./helpers.js";
import type { Rule, RuleContext, RuleHit } from "./rule.js";

const hasDlx = (e: EffectiveQueue): boolean => stringSetting(e, "dead-letter-exchange") !== undefined;
const overflow = (e: EffectiveQueue): string => stringSetting(e, "overflow") ?? "drop-head";
const dlxFix = (e: EffectiveQueue): string =>
  policyFix(e, { "dead-letter-exchange": `${e.queue.name}.dlx` }) +
  `\n# and declare exchange ${e.queue.name}.dlx (fanout) bound to a queue ${e.queue.name}.dlq`;

function workQueues(ctx: RuleContext): EffectiveQueue[] {
  return effectiveQueues(ctx).filter((e) => isWorkQueue(e.queue) && !isDeadLetterQueue(ctx, e.queue));
}

export const quorumWithoutDlx: Rule = {
  id: "rmq-quorum-without-dlx",
  title: "Quorum queue without a dead-letter exchange",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Quorum queues drop a message once it reaches the delivery limit (20 by default since 4.0). Without a DLX the poison message, and any message that merely hit a flaky consumer 20 times, is deleted without a trace.",
  fix: 'rabbitmqctl set_policy ... \'{"dead-letter-exchange": "{queue}.dlx", "delivery-limit": 10}\'',
  check(ctx) {
    return workQueues(ctx)
      .filter((e) => e.queue.type === "quorum" && !hasDlx(e))
      .map((e) => ({
        ...queueRef(e.queue),
        message: `quorum queue ${e.queue.name} has no dead-letter-exchange`,
        fix: dlxFix(e),
      }));
  },
};

function versionMajor(v: string | undefined): number | undefined {
  const m = v ? /^(\d+)\./.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

export const deliveryLimitDisabled: Rule = {
  id: "rmq-delivery-limit-disabled",
  title: "Quorum queue delivery limit disabled",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A message that crashes its consumer is redelivered forever: it blocks the queue head, burns CPU, and on quorum queues keeps the log from being truncated until the disk fills.",
  fix: 'rabbitmqctl set_policy ... \'{"delivery-limit": 10, "dead-letter-exchange": "{queue}.dlx"}\'',
  check(ctx) {
    const major = versionMajor(ctx.model.rabbit?.live?.rabbitmqVersion ?? defsOf(ctx)?.rabbitVersion);
    return workQueues(ctx)
      .filter((e) => e.queue.type === "quorum" && !isDelayQueue(ctx, e))
      .filter((e) => {
        const limit = numberSetting(e, "delivery-limit");
        // -1 disables it on 4.x; before 4.0 an unset limit means unlimited.
        return (
          (limit !== undefined && limit < 0) || (limit === undefined && major !== undefined && major < 4)
        );
      })
      .map((e) => ({
        ...queueRef(e.queue),
        message: `quorum queue ${e.queue.name}: ${describe(e, "delivery-limit")}${numberSetting(e, "delivery-limit") === undefined ? ` (unlimited on RabbitMQ ${major}.x)` : ""}`,
        fix: policyFix(e, {
          "delivery-limit": 10,
          ...(hasDlx(e) ? {} : { "dead-letter-exchange": `${e.queue.name}.dlx` }),
        }),
      }));
  },
};

export const dlxMissingExchange: Rule = {
  id: "rmq-dlx-missing-exchange",
  title: "Dead-letter exchange does not exist",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "RabbitMQ does not check the DLX name. Rejected, expired and overflowing messages are dead-lettered into an exchange that is not there, and silently dropped.",
  fix: "rabbitmqadmin -V {vhost} declare exchange name={dlx} type=fanout durable=true\nrabbitmqadmin -V {vhost} declare binding source={dlx} destination={queue}.dlq",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    const out: RuleHit[] = [];
    for (const e of effectiveQueues(ctx)) {
      const dlx = stringSetting(e, "dead-letter-exchange");
      if (dlx === undefined || exchangeExists(defs, e.queue.vhost, dlx)) continue;
      out.push({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "dead-letter-exchange")} but exchange "${dlx}" is not declared in vhost ${e.queue.vhost}`,
        params: { vhost: e.queue.vhost, dlx, queue: e.queue.name },
      });
    }
    return out;
  },
};

export const dlxRoutesNowhere: Rule = {
  id: "rmq-dlx-routes-nowhere",
  title: "Dead-letter exchange routes nowhere",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The DLX exists but no binding matches the dead-letter routing key, so every dead-lettered message is dropped as unroutable.",
  fix: "rabbitmqadmin -V {vhost} declare binding source={dlx} destination={queue}.dlq routing_key={key}",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    const out: RuleHit[] = [];
    for (const e of effectiveQueues(ctx)) {
      const dlx = stringSetting(e, "dead-letter-exchange");
      if (
        dlx === undefined ||
        (dlx !== "" && declarationIndex(defs).exchange(e.queue.vhost, dlx) === undefined)
      )
        continue; // missing exchanges are rmq-dlx-missing-exchange
      const rk = stringSetting(e, "dead-letter-routing-key");
      if (routesSomewhere(defs, e.queue.vhost, dlx, rk)) continue;
      out.push({
        ...queueRef(e.queue),
        message:
          dlx === ""
            ? `queue ${e.queue.name} dead-letters to the default exchange with ${rk === undefined ? "no dead-letter-routing-key (back to itself: dropped as a cycle)" : `routing key "${rk}", and no queue has that name`}`
            : `queue ${e.queue.name} dead-letters to exchange ${dlx}${rk === undefined ? "" : ` with routing key "${rk}"`}, which has no matching binding`,
        params: { vhost: e.queue.vhost, dlx: dlx || '""', queue: e.queue.name, key: rk ?? "#" },
      });
    }
    return out;
  },
};

export const atLeastOnceDropHead: Rule = {
  id: "rmq-at-least-once-drop-head",
  title: "At-least-once dead-lettering with drop-head overflow",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "at-least-once dead-lettering requires overflow=reject-publish. With drop-head (the default) RabbitMQ silently falls back to at-most-once, so dead-lettered messages can be lost while you believe they are safe.",
  fix: 'rabbitmqctl set_policy ... \'{"dead-letter-strategy": "at-least-once", "overflow": "reject-publish"}\'',
  check(ctx) {
    return effectiveQueues(ctx)
      .filter(
        (e) => stringSetting(e, "dead-letter-strategy") === "at-least-once" && overflow(e) === "drop-head",
      )
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "dead-letter-strategy")} with ${describe(e, "overflow")}`,
        fix: policyFix(e, { overflow: "reject-publish" }),
      }));
  },
};

export const atLeastOnceOnClassic: Rule = {
  id: "rmq-at-least-once-classic",
  title: "At-least-once dead-lettering on a classic queue",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "dead-letter-strategy=at-least-once only works on quorum queues. A classic queue ignores it and dead-letters at-most-once.",
  fix: "move {queue} to a quorum queue (x-queue-type=quorum) to get at-least-once dead-lettering",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter(
        (e) => e.queue.type === "classic" && stringSetting(e, "dead-letter-strategy") === "at-least-once",
      )
      .map((e) => ({
        ...queueRef(e.queue),
        message: `classic queue ${e.queue.name}: ${describe(e, "dead-letter-strategy")} is ignored`,
        params: { queue: e.queue.name },
      }));
  },
};

export const dropHeadWithoutDlx: Rule = {
  id: "rmq-drop-head-without-dlx",
  title: "Length limit with drop-head and no dead-letter exchange",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "When the queue is full, drop-head (the default overflow) deletes the oldest message to make room. Without a DLX that message is gone, and the publisher got a positive confirm for it.",
  fix: 'rabbitmqctl set_policy ... \'{"max-length": N, "overflow": "reject-publish"}\'   # publishers see nacks and back off\n# or keep drop-head and add "dead-letter-exchange"',
  check(ctx) {
    return workQueues(ctx)
      .filter((e) => e.queue.type !== "stream")
      .filter((e) => (numberSetting(e, "max-length") ?? numberSetting(e, "max-length-bytes")) !== undefined)
      .filter((e) => overflow(e) === "drop-head" && !hasDlx(e))
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, numberSetting(e, "max-length") !== undefined ? "max-length" : "max-length-bytes")}, overflow drop-head, no dead-letter-exchange`,
        fix: policyFix(e, { overflow: "reject-publish" }),
      }));
  },
};

export const ttlWithoutDlx: Rule = {
  id: "rmq-ttl-without-dlx",
  title: "Message TTL without a dead-letter exchange",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Messages older than the TTL are discarded. A consumer outage longer than the TTL deletes real work with no record of it.",
  fix: 'rabbitmqctl set_policy ... \'{"message-ttl": N, "dead-letter-exchange": "{queue}.dlx"}\'',
  check(ctx) {
    return workQueues(ctx)
      .filter((e) => e.queue.type !== "stream" && numberSetting(e, "message-ttl") !== undefined && !hasDlx(e))
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "message-ttl")}, no dead-letter-exchange`,
        fix: dlxFix(e),
      }));
  },
};

/** Queues a dead-lettered message from `queue` can reach through exchange `dlx` (following exchange bindings). */
function reachedThrough(
  ctx: RuleContext,
  vhost: string,
  dlx: string,
  rk: string | undefined,
  seen = new Set<string>(),
): Set<string> {
  const out = new Set<string>();
  const defs = defsOf(ctx);
  if (!defs || seen.has(dlx) || seen.size > 16) return out;
  seen.add(dlx);
  const index = declarationIndex(defs);
  const type = index.exchange(vhost, dlx)?.type ?? "direct";
  for (const b of index.bindingsFrom(vhost, dlx)) {
    // A fixed dead-letter routing key only follows bindings it can match; without one the message keeps
    // the key it arrived with, which matched a binding into this very queue.
    const keyed = rk !== undefined && (type === "direct" || type === "topic");
    if (keyed && b.routingKey !== rk && !/[#*]/.test(b.routingKey)) continue;
    if (b.destinationType === "queue") out.add(b.destination);
    else for (const q of reachedThrough(ctx, vhost, b.destination, rk, seen)) out.add(q);
  }
  return out;
}

export const deadLetterCycle: Rule = {
  id: "rmq-dead-letter-cycle",
  title: "Dead-letter queue dead-letters into itself",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The queue's own dead-letter exchange routes back to it (typically a DLX policy whose pattern also matches the dead-letter queue). RabbitMQ drops a message that completes such a cycle without a rejection, so messages expiring or overflowing in the DLQ vanish; rejected ones loop back forever. The place meant to keep failed messages loses them.",
  fix: "policies never merge: give the DLQ a higher-priority policy without dead-letter-exchange, or exclude it from the pattern",
  check(ctx) {
    const out: RuleHit[] = [];
    for (const e of effectiveQueues(ctx)) {
      const dlx = stringSetting(e, "dead-letter-exchange");
      if (dlx === undefined) continue;
      const rk = stringSetting(e, "dead-letter-routing-key");
      const cycle =
        dlx === "" ? rk === e.queue.name : reachedThrough(ctx, e.queue.vhost, dlx, rk).has(e.queue.name);
      if (!cycle) continue;
      out.push({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "dead-letter-exchange")} routes back to ${e.queue.name} itself`,
        fix: policyFix(e, {}, ["dead-letter-exchange", "dead-letter-routing-key", "dead-letter-strategy"]),
      });
    }
    return out;
  },
};

export const rabbitmqDeadLetterRules: Rule[] = [
  quorumWithoutDlx,
  deliveryLimitDisabled,
  dlxMissingExchange,
  dlxRoutesNowhere,
  deadLetterCycle,
  atLeastOnceDropHead,
  atLeastOnceOnClassic,
  dropHeadWithoutDlx,
  ttlWithoutDlx,
];
