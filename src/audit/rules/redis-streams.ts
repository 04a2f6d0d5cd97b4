/** Redis Streams rules: growth without trimming, lag, stuck pending entries, poison entries, lost entries. */
import type { RedisGroup, RedisStream } from "../model.js";
import { compareIds } from "../../transports/redis/layout.js";
import { redisOf, streamRef } from "./redis-helpers.js";
import type { Rule, RuleContext, RuleHit } from "./rule.js";

const streams = (ctx: RuleContext): RedisStream[] => redisOf(ctx)?.streams ?? [];

function eachGroup(ctx: RuleContext, f: (s: RedisStream, g: RedisGroup) => RuleHit[]): RuleHit[] {
  return streams(ctx).flatMap((s) => s.groups.flatMap((g) => f(s, g)));
}

export const streamNotTrimmed: Rule = {
  id: "redis-stream-untrimmed",
  title: "Stream is never trimmed",
  severity: "medium",
  category: "operations",
  broker: "redis",
  liveOnly: false,
  why: "Acknowledged entries stay in the stream forever: memory grows until maxmemory (then XADD fails, or with an eviction policy the whole stream is deleted) or the OOM killer stops Redis.",
  fix: "XADD {stream} MAXLEN ~ 1000000 * ...   # or periodically: XTRIM {stream} MINID ~ <oldest id every group has read>\nspec: streams: [{ name: {stream}, retention: { maxLen: 1000000 } }]",
  check(ctx) {
    const r = redisOf(ctx);
    return streams(ctx)
      .filter((s) => {
        if (r?.fromSpec) return s.retention === undefined;
        // Live: nothing was ever removed (Redis 7 counters) and the stream is already big.
        const neverTrimmed = s.entriesAdded !== undefined ? s.entriesAdded <= s.length : true;
        return neverTrimmed && s.length >= ctx.thresholds.untrimmedStreamLength;
      })
      .map((s) => ({
        ...streamRef(s.key),
        message: r?.fromSpec
          ? `stream ${s.key} declares no retention`
          : `stream ${s.key} has ${s.length} entries and none was ever trimmed`,
        params: { stream: s.key },
      }));
  },
};

export const noConsumerGroup: Rule = {
  id: "redis-stream-without-group",
  title: "Stream has no consumer group",
  severity: "low",
  category: "message-loss",
  broker: "redis",
  liveOnly: false,
  why: "Without a group there is no pending-entries list: a reader that crashes mid-message has no record of what it had not finished, so entries are skipped or reprocessed by guesswork.",
  fix: "XGROUP CREATE {stream} workers $ MKSTREAM   # consumers use XREADGROUP and XACK",
  check(ctx) {
    return (
      streams(ctx)
        // Dead-letter streams are read by people and tools, not consumer groups.
        .filter(
          (s) =>
            s.groups.length === 0 &&
            !/(^|[:._-])(dlq|dead|deadletter|dead-letter|parking)([:._-]|$)/i.test(s.key),
        )
        .map((s) => ({
          ...streamRef(s.key),
          message: `stream ${s.key} (${s.length} entries) has no consumer group`,
          params: { stream: s.key },
        }))
    );
  },
};

export const groupLagHigh: Rule = {
  id: "redis-group-lag-high",
  title: "Consumer group is far behind",
  severity: "medium",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  why: "Entries wait unread; if the stream is trimmed by length, the oldest unread ones are deleted before this group ever sees them.",
  fix: "add consumers to {group}, or find why they are slow: XINFO CONSUMERS {stream} {group}",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      typeof g.lag === "number" && g.lag >= ctx.thresholds.groupLag
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key} lags ${g.lag} entries`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [],
    );
  },
};

export const groupLagGrowing: Rule = {
  id: "redis-group-lag-growing",
  title: "Consumer group lag or pending list is growing",
  severity: "high",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  why: "Between two samples the group fell further behind or acknowledged less than it took: consumers cannot keep up or are failing, and the backlog will only grow.",
  fix: "XINFO CONSUMERS {stream} {group}   # check idle times; scale consumers or fix the failing handler",
  check(ctx) {
    return eachGroup(ctx, (s, g) => {
      const parts: string[] = [];
      if ((g.lagDelta ?? 0) > 0) parts.push(`lag +${g.lagDelta}`);
      if ((g.pendingDelta ?? 0) > 0) parts.push(`pending +${g.pendingDelta}`);
      return parts.length
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key}: ${parts.join(", ")} between samples`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [];
    });
  },
};

export const pelLarge: Rule = {
  id: "redis-pel-large",
  title: "Large pending-entries list",
  severity: "medium",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "Thousands of entries were delivered and never acknowledged: consumers crash or forget XACK, and unless something runs XAUTOCLAIM these entries are never processed.",
  fix: "XAUTOCLAIM {stream} {group} <live consumer> 60000 0-0 COUNT 100   # mqa's Redis subscriber reclaims automatically",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      g.pending >= ctx.thresholds.pendingEntries
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key} has ${g.pending} pending entries`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [],
    );
  },
};

export const idleConsumerWithPending: Rule = {
  id: "redis-idle-consumer-pending",
  title: "Idle consumer holds pending entries",
  severity: "high",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "The consumer is gone (crashed, scaled down, renamed on restart) but its pending entries stay assigned to it; no other consumer sees them unless someone claims them.",
  fix: "XAUTOCLAIM {stream} {group} <live consumer> {idle} 0-0 COUNT 100\nXGROUP DELCONSUMER {stream} {group} {consumer}   # after its entries are claimed",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      g.consumers
        .filter((c) => c.pending > 0 && c.idleMs >= ctx.thresholds.idleConsumerMs)
        .map((c) => ({
          ...streamRef(s.key, g.name, c.name),
          message: `consumer ${c.name} in group ${g.name} on ${s.key} idle ${Math.round(c.idleMs / 1000)} s with ${c.pending} pending`,
          params: { stream: s.key, group: g.name, consumer: c.name, idle: ctx.thresholds.idleConsumerMs },
        })),
    );
  },
};

export const highDeliveryCount: Rule = {
  id: "redis-high-delivery-count",
  title: "Entries delivered many times",
  severity: "medium",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "An entry that keeps failing is reclaimed and redelivered in a loop (poison message): it burns consumer time and, if reclaim is manual, blocks the group's progress.",
  fix: "move entries with delivery count ≥ N to a dead-letter stream: XADD {stream}:dlq * ...; XACK {stream} {group} <id>",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      (g.maxDeliveryCount ?? 0) >= ctx.thresholds.deliveryCount
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key} has a pending entry delivered ${g.maxDeliveryCount} times`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [],
    );
  },
};

export const lagUnknownTrimmed: Rule = {
  id: "redis-entries-trimmed-unread",
  title: "Entries trimmed before the group read them",
  severity: "high",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "The stream was trimmed past this group's last-delivered id (or Redis reports lag as unknown because of it): entries were deleted before this group ever read them. They are lost for this group.",
  fix: "trim by MINID below every group's last-delivered id, not by MAXLEN: XTRIM {stream} MINID <min last-delivered-id across groups>",
  check(ctx) {
    return eachGroup(ctx, (s, g) => {
      const behindFirst =
        s.length > 0 && s.firstEntryId !== undefined && compareIds(g.lastDeliveredId, s.firstEntryId) < 0;
      const deletedUnread =
        s.maxDeletedEntryId !== undefined &&
        s.maxDeletedEntryId !== "0-0" &&
        compareIds(g.lastDeliveredId, s.maxDeletedEntryId) < 0;
      // Redis 7 counts lag from entries-added; more lag than entries left means some were trimmed unread.
      const lagBeyondLength = typeof g.lag === "number" && g.lag > s.length;
      // Or the first surviving entry is past what the group has seen, or an entry after it was deleted
      // (max-deleted-entry-id): all mean entries vanished before this group read them.
      if (!(behindFirst || deletedUnread || lagBeyondLength)) return [];
      return [
        {
          ...streamRef(s.key, g.name),
          message: lagBeyondLength
            ? `group ${g.name} on ${s.key}: lag ${String(g.lag)} but only ${s.length} entries left: ${Number(g.lag) - s.length} trimmed before being read`
            : `group ${g.name} on ${s.key}: last-delivered-id ${g.lastDeliveredId} is older than ${behindFirst ? `the first entry ${s.firstEntryId}` : `deleted entry ${s.maxDeletedEntryId}`}${g.lag === null ? "; lag unknown" : ""}`,
          params: { stream: s.key, group: g.name },
        },
      ];
    });
  },
};

export const trimmedInPel: Rule = {
  id: "redis-pel-trimmed-entries",
  title: "Pending entries point at trimmed stream entries",
  severity: "medium",
  category: "message-loss",
  broker: "redis",
  liveOnly: true,
  why: "The PEL still lists ids the stream no longer holds: XCLAIM/XAUTOCLAIM return them as deleted, the work was never done, and the dead ids stay pending until acknowledged.",
  fix: "XAUTOCLAIM {stream} {group} <consumer> 0 0-0   # returns deleted ids (Redis 7); record them, then XACK {stream} {group} <id>",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      g.pending > 0 &&
      g.oldestPendingId !== undefined &&
      (s.firstEntryId === undefined || compareIds(g.oldestPendingId, s.firstEntryId) < 0)
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key}: oldest pending id ${g.oldestPendingId} is before the first entry ${s.firstEntryId ?? "(stream empty)"}`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [],
    );
  },
};

export const groupWithoutConsumers: Rule = {
  id: "redis-group-without-consumers",
  title: "Group has work but no consumers",
  severity: "medium",
  category: "operations",
  broker: "redis",
  liveOnly: true,
  why: "Entries wait for a group nobody reads from; with length-based trimming they are deleted unread.",
  fix: "start a consumer: XREADGROUP GROUP {group} <name> COUNT 10 BLOCK 5000 STREAMS {stream} >",
  check(ctx) {
    return eachGroup(ctx, (s, g) =>
      g.consumers.length === 0 &&
      ((g.lag ?? 0) > 0 ||
        g.pending > 0 ||
        (g.lag === undefined && compareIds(g.lastDeliveredId, s.lastGeneratedId) < 0))
        ? [
            {
              ...streamRef(s.key, g.name),
              message: `group ${g.name} on ${s.key} has no consumers but ${g.lag ?? "unknown"} unread / ${g.pending} pending`,
              params: { stream: s.key, group: g.name },
            },
          ]
        : [],
    );
  },
};

export const redisStreamRules: Rule[] = [
  streamNotTrimmed,
  noConsumerGroup,
  groupLagHigh,
  groupLagGrowing,
  pelLarge,
  idleConsumerWithPending,
  highDeliveryCount,
  lagUnknownTrimmed,
  trimmedInPel,
  groupWithoutConsumers,
];
