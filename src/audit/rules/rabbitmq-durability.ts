/** RabbitMQ durability rules: queues and exchanges that do not survive a restart or vanish on their own. */
import { describe, numberSetting } from "../effective.js";
import {
  defsOf,
  effectiveQueues,
  exactPattern,
  exchangeRef,
  isDeadLetterQueue,
  isWorkQueue,
  queueRef,
  removalFix,
} from "./helpers.js";
import type { Rule } from "./rule.js";

export const nonDurableQueue: Rule = {
  id: "rmq-non-durable-queue",
  title: "Work queue is not durable",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A transient queue and every message in it are gone after a broker restart or node failure, even messages published as persistent and confirmed.",
  fix: "declare it durable (a queue's durability cannot change in place: create {queue}.v2 durable, move consumers, shovel the rest)\nspec: queues: [{ name: {queue}, durable: true, type: quorum }]",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => isWorkQueue(e.queue) && !e.queue.durable)
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name} is durable=false`,
        params: { queue: e.queue.name },
      }));
  },
};

export const autoDeleteQueue: Rule = {
  id: "rmq-auto-delete-queue",
  title: "Work queue is auto-delete",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "When its last consumer cancels (a deploy, a crash) the queue is deleted with every message in it, and publishes in the meantime are dropped as unroutable.",
  fix: "redeclare {queue} with auto_delete=false (cannot change in place: new queue, move consumers, then delete the old one)",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => isWorkQueue(e.queue) && e.queue.durable && e.queue.autoDelete)
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name} is auto_delete=true`,
        params: { queue: e.queue.name },
      }));
  },
};

export const queueExpires: Rule = {
  id: "rmq-work-queue-expires",
  title: "Work queue has an expires (idle deletion) setting",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "`expires` deletes the queue, messages included, once it has had no consumers for that long: a consumer outage longer than the timeout silently deletes the backlog.",
  fix: "remove expires from the policy or arguments that set it; use message-ttl + a DLX if messages must age out",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => isWorkQueue(e.queue) && !e.queue.autoDelete && numberSetting(e, "expires") !== undefined)
      .map((e) => ({
        ...queueRef(e.queue),
        message: `queue ${e.queue.name}: ${describe(e, "expires")}`,
        fix: removalFix(e, "expires"),
      }));
  },
};

export const nonDurableExchange: Rule = {
  id: "rmq-non-durable-exchange",
  title: "Exchange is not durable",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "After a restart the exchange and its bindings are gone; publishers get channel errors or, if they redeclare it, messages route nowhere until every consumer has rebound.",
  fix: "declare {exchange} durable (delete and redeclare, then restore bindings)\nspec: exchanges: [{ name: {exchange}, durable: true }]",
  check(ctx) {
    return (defsOf(ctx)?.exchanges ?? [])
      .filter((e) => !e.durable && !e.name.startsWith("amq."))
      .map((e) => ({
        ...exchangeRef(e),
        message: `exchange ${e.name} is durable=false`,
        params: { exchange: e.name },
      }));
  },
};

export const autoDeleteExchange: Rule = {
  id: "rmq-auto-delete-exchange",
  title: "Exchange is auto-delete",
  severity: "low",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The exchange disappears when its last binding is removed; later publishes fail with NOT_FOUND and close the publisher's channel.",
  fix: "declare {exchange} with auto_delete=false",
  check(ctx) {
    return (defsOf(ctx)?.exchanges ?? [])
      .filter((e) => e.autoDelete && !e.name.startsWith("amq."))
      .map((e) => ({
        ...exchangeRef(e),
        message: `exchange ${e.name} is auto_delete=true`,
        params: { exchange: e.name },
      }));
  },
};

export const classicQueueInCluster: Rule = {
  id: "rmq-classic-queue-single-replica",
  title: "Classic queue on a multi-node cluster keeps one copy",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: true,
  why: "A classic queue lives on one node. When that node's disk dies the messages are gone; while it is down the queue is unavailable even though the cluster is up.",
  fix: "move to a quorum queue: declare {queue}.q with x-queue-type=quorum, switch consumers, then publishers\nspec: { name: {queue}, type: quorum }",
  check(ctx) {
    const live = ctx.model.rabbit?.live;
    if (!live || live.nodes.length < 2) return [];
    return effectiveQueues(ctx)
      .filter(
        (e) =>
          isWorkQueue(e.queue) &&
          e.queue.durable &&
          e.queue.type === "classic" &&
          !isDeadLetterQueue(ctx, e.queue),
      )
      .map((e) => ({
        ...queueRef(e.queue),
        message: `classic queue ${e.queue.name} on a ${live.nodes.length}-node cluster`,
        params: { queue: e.queue.name, pattern: exactPattern(e.queue.name) },
      }));
  },
};

export const rabbitmqDurabilityRules: Rule[] = [
  nonDurableQueue,
  autoDeleteQueue,
  queueExpires,
  nonDurableExchange,
  autoDeleteExchange,
  classicQueueInCluster,
];
