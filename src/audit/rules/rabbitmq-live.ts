/** Rules that need a running RabbitMQ: consumers, channels, nodes, alarms, partitions. */
import { declarationIndex } from "./declaration-index.js";
import { describeReleaseLine, releaseSeries, supportStatus } from "./release-support.js";
import { isDeadLetterQueue, queueRef } from "./helpers.js";
import type { Rule, RuleContext, RuleHit } from "./rule.js";
import { hasMainConf, parseBytes, settingOf } from "./rabbitmq-config.js";
import { settingRef } from "./redis-helpers.js";
import type { RabbitLive } from "../model.js";

const live = (ctx: RuleContext): RabbitLive | undefined => ctx.model.rabbit?.live;
const channelRef = (name: string, vhost: string) => ({
  resource: `vhost ${vhost} channel ${name}`,
  location: { kind: "channel", name },
});
const nodeRef = (name: string) => ({ resource: `node ${name}`, location: { kind: "node", name } });
const gib = (n: number | undefined): string => (n === undefined ? "?" : `${(n / 2 ** 30).toFixed(2)} GiB`);

export const autoAckConsumer: Rule = {
  id: "rmq-auto-ack-consumer",
  title: "Consumer uses automatic acknowledgement",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: true,
  why: "With auto-ack the broker deletes a message as soon as it is sent. If the consumer crashes, is killed mid-handler, or its buffer holds unprocessed messages when the connection drops, they are gone.",
  fix: "consume with noAck: false and ack after the handler succeeds (mqa's subscribe does this by default)",
  check(ctx) {
    return (live(ctx)?.consumers ?? [])
      .filter((c) => !c.ackRequired)
      .map((c) => ({
        ...queueRef({ vhost: c.vhost, name: c.queue }),
        message: `consumer ${c.consumerTag} on queue ${c.queue} (channel ${c.channel}) uses auto-ack`,
      }));
  },
};

export const unlimitedPrefetch: Rule = {
  id: "rmq-unlimited-prefetch",
  title: "Consumer with unlimited prefetch",
  severity: "medium",
  category: "performance",
  broker: "rabbitmq",
  liveOnly: true,
  why: "prefetch 0 lets the broker push the whole backlog into one consumer's memory: it can run out of memory, other consumers starve, and a crash makes everything redeliver at once.",
  fix: "channel.prefetch(50)   # mqa: subscribe(..., { prefetch: 50 })",
  check(ctx) {
    return (live(ctx)?.consumers ?? [])
      .filter((c) => c.ackRequired && c.prefetchCount === 0)
      .map((c) => ({
        ...queueRef({ vhost: c.vhost, name: c.queue }),
        message: `consumer ${c.consumerTag} on queue ${c.queue} has prefetch_count 0 (unlimited)`,
      }));
  },
};

export const hugePrefetch: Rule = {
  id: "rmq-huge-prefetch",
  title: "Consumer with a very large prefetch",
  severity: "low",
  category: "performance",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Thousands of unacked messages sit in one consumer's buffer: slow consumers hoard work others could do, and after a crash they are all redelivered (and counted as delivery attempts).",
  fix: "channel.prefetch(100)   # start near (consumer throughput x round trip), measure, then tune",
  check(ctx) {
    const max = ctx.thresholds.hugePrefetch;
    return (live(ctx)?.consumers ?? [])
      .filter((c) => c.prefetchCount > max)
      .map((c) => ({
        ...queueRef({ vhost: c.vhost, name: c.queue }),
        message: `consumer ${c.consumerTag} on queue ${c.queue} has prefetch_count ${c.prefetchCount} (> ${max})`,
      }));
  },
};

export const publishWithoutConfirms: Rule = {
  id: "rmq-publish-without-confirms",
  title: "Channel publishes without publisher confirms",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Without confirms the publisher cannot know whether the broker stored a message: a connection drop, a full queue with reject-publish or a node failure loses messages the application believes were sent.",
  fix: "await channel.confirmSelect() and wait for confirms (mqa's publisher always uses confirms with a timeout)",
  check(ctx) {
    return (live(ctx)?.channels ?? [])
      .filter((c) => !c.confirm && (c.published > 0 || c.publishRate > 0))
      .map((c) => ({
        ...channelRef(c.name, c.vhost),
        message: `channel ${c.name} (user ${c.user}) published ${c.published} message(s) without confirm mode`,
      }));
  },
};

export const backlogNoConsumers: Rule = {
  id: "rmq-backlog-without-consumers",
  title: "Messages waiting with no consumer",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Nobody is processing this queue: work is piling up (or, with a TTL or length limit, being discarded). Usually a crashed or scaled-to-zero consumer nobody noticed.",
  fix: "start a consumer for {queue}, or alert on: messages > 0 and consumers == 0 for 5 minutes",
  check(ctx) {
    const defs = ctx.model.rabbit?.definitions;
    return (live(ctx)?.queues ?? [])
      .filter((x) => x.messages > 0 && x.consumers === 0)
      .map((x) => {
        const q = defs && declarationIndex(defs).queue(x.vhost, x.name);
        const dlq = q !== undefined && isDeadLetterQueue(ctx, q);
        return {
          ...queueRef(x),
          severity: dlq ? ("low" as const) : undefined,
          message: `${dlq ? "dead-letter queue" : "queue"} ${x.name} holds ${x.messages} message(s) and has no consumer`,
          params: { queue: x.name },
        };
      });
  },
};

export const resourceAlarm: Rule = {
  id: "rmq-resource-alarm",
  title: "Memory or disk alarm is active",
  severity: "critical",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  why: "While an alarm is set the broker blocks every publishing connection in the cluster: publishers hang or time out until memory or disk is freed.",
  fix: "drain or purge the largest queues, add consumers, free disk; then bound queues with max-length so it cannot recur",
  check(ctx) {
    return (live(ctx)?.nodes ?? [])
      .filter((n) => n.memAlarm || n.diskFreeAlarm)
      .map((n) => ({
        ...nodeRef(n.name),
        message: `node ${n.name}: ${[n.memAlarm && "memory alarm", n.diskFreeAlarm && "disk alarm"].filter(Boolean).join(" and ")} active`,
      }));
  },
};

export const networkPartition: Rule = {
  id: "rmq-network-partition",
  title: "Network partition detected",
  severity: "critical",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Partitioned nodes may each accept writes; when the partition heals, classic queue state on the losing side is discarded, and with ignore mode the split persists.",
  fix: "rabbitmq.conf: cluster_partition_handling = pause_minority; restart the minority side's nodes",
  check(ctx) {
    return (live(ctx)?.nodes ?? [])
      .filter((n) => n.partitions.length > 0)
      .map((n) => ({
        ...nodeRef(n.name),
        message: `node ${n.name} sees partitions with ${n.partitions.join(", ")}`,
      }));
  },
};

export const nodeDown: Rule = {
  id: "rmq-node-down",
  title: "Cluster node not running",
  severity: "high",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Queues whose leader or only copy is on this node are unavailable; quorum queues lose one failure of headroom.",
  fix: "rabbitmq-diagnostics -n {node} status   # find why it stopped; then start it",
  check(ctx) {
    return (live(ctx)?.nodes ?? [])
      .filter((n) => !n.running)
      .map((n) => ({
        ...nodeRef(n.name),
        message: `node ${n.name} is not running`,
        params: { node: n.name },
      }));
  },
};

export const diskFreeLimitLow: Rule = {
  id: "rmq-disk-free-limit-low",
  title: "disk_free_limit below the memory limit",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  files: ["rabbitmq-conf", "advanced-config"],
  why: "When memory pressure pages messages to disk, a low disk limit lets the disk fill completely before the alarm fires; the node can crash and corrupt its message store instead of blocking publishers.",
  fix: "rabbitmq.conf: disk_free_limit.relative = 1.0   # at least the memory high-watermark",
  check(ctx) {
    if (ctx.model.rabbitConfig) return diskFreeLimitInConfig(ctx);
    return (live(ctx)?.nodes ?? [])
      .filter(
        (n) => n.diskFreeLimit !== undefined && n.memLimit !== undefined && n.diskFreeLimit < n.memLimit,
      )
      .map((n) => ({
        ...nodeRef(n.name),
        message: `node ${n.name}: disk_free_limit ${gib(n.diskFreeLimit)} < mem_limit ${gib(n.memLimit)}`,
      }));
  },
};

/**
 * The same judgement on configuration files: no limit at all (the 50 MB default), zero, an absolute limit
 * under 1 GiB (below the memory limit of any production host), or a relative one under 1.0.
 */
function diskFreeLimitInConfig(ctx: RuleContext): RuleHit[] {
  const abs = settingOf(ctx, "disk_free_limit.absolute");
  const rel = settingOf(ctx, "disk_free_limit.relative");
  if (rel) {
    const r = Number(rel.value);
    if (!Number.isFinite(r) || r >= 1) return [];
    return [
      { ...settingRef(rel.key), message: `disk_free_limit.relative = ${rel.value} (below the memory limit)` },
    ];
  }
  if (abs) {
    const bytes = parseBytes(abs.value);
    if (bytes === undefined || bytes >= 2 ** 30) return [];
    return [
      {
        ...settingRef(abs.key),
        ...(bytes === 0 ? { severity: "high" as const } : {}),
        message:
          bytes === 0
            ? "disk_free_limit.absolute = 0: the disk alarm never fires, the disk fills completely"
            : `disk_free_limit.absolute = ${abs.value} (under 1 GiB, below any production memory limit)`,
      },
    ];
  }
  if (!hasMainConf(ctx)) return [];
  const conf = ctx.model.rabbitConfig!.files.find((f) => f.kind === "rabbitmq-conf")!;
  return [
    {
      resource: "setting disk_free_limit",
      location: { kind: "setting", name: "disk_free_limit", file: conf.file, line: 1 },
      message: "disk_free_limit is not set: the default 50 MB lets the disk fill before the alarm fires",
    },
  ];
}

export const nearResourceLimit: Rule = {
  id: "rmq-node-near-limit",
  title: "Node near its file descriptor or process limit",
  severity: "high",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  why: "At the file descriptor limit new connections are refused; at the Erlang process limit the node crashes. Both usually come from a connection leak.",
  fix: "raise the limit (systemd LimitNOFILE=65536) and find the leak: rabbitmqctl list_connections user peer_host | sort | uniq -c",
  check(ctx) {
    const frac = ctx.thresholds.nearLimit;
    const out = [];
    for (const n of live(ctx)?.nodes ?? []) {
      for (const [what, used, total] of [
        ["file descriptors", n.fdUsed, n.fdTotal],
        ["Erlang processes", n.procUsed, n.procTotal],
      ] as const) {
        if (used !== undefined && total !== undefined && total > 0 && used / total >= frac)
          out.push({ ...nodeRef(n.name), message: `node ${n.name}: ${used}/${total} ${what} in use` });
      }
    }
    return out;
  },
};

export const deprecatedFeatures: Rule = {
  id: "rmq-deprecated-features-used",
  title: "Deprecated features in use",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: true,
  why: "Deprecated features are disabled by default in a later release: an upgrade then refuses to start or breaks the clients that rely on them.",
  fix: "rabbitmq-diagnostics list_deprecated_features --used   # replace each one before upgrading",
  check(ctx) {
    const l = live(ctx);
    if (!l) return [];
    const used = new Set(l.deprecatedFeaturesUsed ?? []);
    // Before 3.13 there is no API for this: derive the common ones from what the broker shows.
    if (l.deprecatedFeaturesUsed === undefined) {
      const defs = ctx.model.rabbit?.definitions;
      if (defs?.policies.some((p) => Object.keys(p.definition).some((k) => k.startsWith("ha-"))))
        used.add("classic_queue_mirroring");
      if (defs?.queues.some((x) => !x.durable && !x.exclusive)) used.add("transient_nonexcl_queues");
      if (l.channels.some((c) => c.globalPrefetchCount > 0)) used.add("global_qos");
    }
    return [...used].sort().map((f) => ({
      resource: `feature ${f}`,
      location: { kind: "feature", name: f },
      message: `deprecated feature ${f} is in use${l.deprecatedFeaturesUsed === undefined ? " (derived: this broker has no deprecated-features API)" : ""}`,
    }));
  },
};

export const unsupportedRelease: Rule = {
  id: "rmq-unsupported-release",
  title: "RabbitMQ release series out of support",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  // A definitions export names its version too (rabbit_version), so this is not live only.
  liveOnly: false,
  why: "Out-of-support series get no security or data-safety fixes; known message-loss bugs fixed since then stay in production.",
  fix: "upgrade to a supported series (blue-green, or rolling via every intermediate minor)",
  check(ctx) {
    const l = live(ctx);
    // The version decides (a broker's "supported" is frozen at its release date); see release-support.ts.
    const version = l?.rabbitmqVersion ?? ctx.model.rabbit?.definitions.rabbitVersion;
    const judged = supportStatus(version, l?.releaseSeriesSupportStatus);
    if (!judged || judged.status === "supported") return [];
    const series = version === undefined ? undefined : releaseSeries(version);
    const line = version === undefined ? undefined : describeReleaseLine(version);
    // Before 3.8 there are no quorum queues and years of data-safety fixes are missing.
    const ancient = series !== undefined && series.major === 3 && series.minor < 8;
    return [
      {
        resource: "cluster",
        location: { kind: "cluster", name: "cluster" },
        ...(ancient ? { severity: "high" as const } : {}),
        message: `RabbitMQ ${version ?? "?"}${line ? ` (${line})` : ""}: release series support status is "${judged.status}" (${judged.source === "broker" ? "reported by the broker" : `from mqa's release table${l?.releaseSeriesSupportStatus ? `; the broker says "${l.releaseSeriesSupportStatus}", as of its own release date` : ""}`})`,
      },
    ];
  },
};

export const rabbitmqLiveRules: Rule[] = [
  autoAckConsumer,
  unlimitedPrefetch,
  hugePrefetch,
  publishWithoutConfirms,
  backlogNoConsumers,
  resourceAlarm,
  networkPartition,
  nodeDown,
  diskFreeLimitLow,
  nearResourceLimit,
  deprecatedFeatures,
  unsupportedRelease,
];
