/** RabbitMQ replication rules: classic mirroring leftovers, quorum group sizes, stream retention. */
import { describe, numberSetting } from "../effective.js";
import { defsOf, effectiveQueues, isWorkQueue, policyFix, policyRef, q, queueRef } from "./helpers.js";
import { releaseSeries } from "./release-support.js";
import type { Rule } from "./rule.js";

export const haPolicyKeys: Rule = {
  id: "rmq-ha-policy-keys",
  title: "Classic mirroring (ha-*) policy keys",
  severity: "high",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Classic queue mirroring is deprecated and removed in RabbitMQ 4.0: after the upgrade these queues have a single copy (or the upgrade is blocked), and mirrors never gave safe failover anyway (unsynchronised mirrors lose messages on promotion).",
  fix: "migrate to quorum queues: declare new queues with x-queue-type=quorum, move consumers and publishers, then\nrabbitmqctl clear_policy -p {vhost} {policy}",
  check(ctx) {
    const version = ctx.model.rabbit?.live?.rabbitmqVersion ?? defsOf(ctx)?.rabbitVersion;
    const s = version === undefined ? undefined : releaseSeries(version);
    // Judged by release: gone in 4.0 (the queues have one copy), the only replication before 3.8.
    const removed = s !== undefined && s.major >= 4;
    const onlyOption = s !== undefined && s.major === 3 && s.minor < 8;
    return (defsOf(ctx)?.policies ?? [])
      .filter((p) => Object.keys(p.definition).some((k) => k.startsWith("ha-")))
      .map((p) => ({
        ...policyRef(p),
        ...(removed ? { severity: "high" as const, category: "message-loss" as const } : {}),
        ...(onlyOption ? { severity: "medium" as const } : {}),
        message: `${p.operator ? "operator policy" : "policy"} ${p.name} sets ${Object.keys(p.definition)
          .filter((k) => k.startsWith("ha-"))
          .join(", ")}${
          removed
            ? ` on RabbitMQ ${version}, which has no classic mirroring: the matching queues have a single copy`
            : onlyOption
              ? ` (on ${version} mirroring is the only replication; quorum queues need 3.8+, so upgrade first)`
              : ""
        }`,
        params: { vhost: q(p.vhost), policy: q(p.name) },
      }));
  },
};

export const quorumEvenGroup: Rule = {
  id: "rmq-quorum-even-group-size",
  title: "Quorum queue with an even number of replicas",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A majority of 4 is 3, the same as of 5: the 4th replica costs disk and network but tolerates no extra failure, and a 2/2 split leaves the queue unavailable.",
  fix: "declare with x-quorum-initial-group-size = {odd} (or rabbitmq-queues shrink/grow to an odd count)",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => e.queue.type === "quorum")
      .filter((e) => {
        const n = numberSetting(e, "quorum-initial-group-size");
        return n !== undefined && n >= 4 && n % 2 === 0; // 2 is rmq-quorum-small-group-size
      })
      .map((e) => ({
        ...queueRef(e.queue),
        message: `quorum queue ${e.queue.name}: ${describe(e, "quorum-initial-group-size")}`,
        params: { odd: (numberSetting(e, "quorum-initial-group-size") ?? 2) + 1 },
      }));
  },
};

export const quorumSmallGroup: Rule = {
  id: "rmq-quorum-small-group-size",
  title: "Quorum queue with fewer than 3 replicas",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "With 1 replica a disk failure loses the queue; with 2, losing either node stops the queue (no majority). 3 is the smallest group that survives a node.",
  fix: "declare with x-quorum-initial-group-size = 3 (existing queue: rabbitmq-queues grow <node> all)",
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => e.queue.type === "quorum" || e.queue.type === "stream")
      .filter((e) => {
        const n = numberSetting(e, "quorum-initial-group-size") ?? numberSetting(e, "initial-cluster-size");
        return n !== undefined && n < 3;
      })
      .map((e) => ({
        ...queueRef(e.queue),
        message: `${e.queue.type} ${e.queue.name}: ${e.settings.has("quorum-initial-group-size") ? describe(e, "quorum-initial-group-size") : describe(e, "initial-cluster-size")}`,
      }));
  },
};

export const quorumSingleNode: Rule = {
  id: "rmq-replicated-queue-single-node",
  title: "Quorum queues or streams on a single-node broker",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Replicated queue types replicate across nodes; on a single node there is one copy, so a disk loss loses every message despite the quorum type.",
  fix: "run a 3-node cluster (quorum queues then place 3 replicas automatically)",
  check(ctx) {
    const live = ctx.model.rabbit?.live;
    if (!live || live.nodes.length !== 1) return [];
    const replicated = effectiveQueues(ctx).filter((e) => e.queue.type !== "classic");
    if (replicated.length === 0) return [];
    return [
      {
        resource: `node ${live.nodes[0]!.name}`,
        location: { kind: "node", name: live.nodes[0]!.name },
        message: `${replicated.length} quorum queue(s)/stream(s) on a 1-node broker, e.g. ${replicated[0]!.queue.name} in vhost ${replicated[0]!.queue.vhost}`,
      },
    ];
  },
};

export const streamWithoutRetention: Rule = {
  id: "rmq-stream-without-retention",
  title: "Stream without retention",
  severity: "high",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "A stream keeps every message until a retention limit removes whole segments. Without max-length-bytes or max-age it grows until the disk alarm blocks every publisher on the node.",
  fix: 'rabbitmqctl set_policy ... \'{"max-length-bytes": 20000000000, "max-age": "7D"}\' --apply-to streams',
  check(ctx) {
    return effectiveQueues(ctx)
      .filter((e) => isWorkQueue(e.queue) && e.queue.type === "stream")
      .filter((e) => !e.settings.has("max-length-bytes") && !e.settings.has("max-age"))
      .map((e) => ({
        ...queueRef(e.queue, "stream"),
        message: `stream ${e.queue.name} has neither max-length-bytes nor max-age`,
        fix: policyFix(e, { "max-length-bytes": 20_000_000_000, "max-age": "7D" }),
      }));
  },
};

export const rabbitmqQuorumRules: Rule[] = [
  haPolicyKeys,
  quorumEvenGroup,
  quorumSmallGroup,
  quorumSingleNode,
  streamWithoutRetention,
];
