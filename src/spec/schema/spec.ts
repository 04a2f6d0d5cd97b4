/**
 * The whole topology spec: `version`, an optional `rabbitmq` part and an optional `redis` part. Every object
 * is strict (unknown keys fail) and cross-references are checked, each problem with its path.
 */
import { z } from "zod";
import { rabbitmq } from "./rabbitmq.js";
import { durationMs } from "../duration.js";
import { rabbitGroups } from "../rabbit-groups.js";
import { rabbitHistories, streamMaxAge } from "../rabbit-history.js";
import { redis } from "./redis.js";

const DEFAULT_EXCHANGES = new Set(["", "amq.direct", "amq.topic", "amq.fanout", "amq.headers", "amq.match"]);

type RabbitPart = z.infer<typeof rabbitmq>;
type Ctx = z.core.$RefinementCtx<unknown>;

function report(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

/** Duplicate names and references to undeclared vhosts, exchanges and queues. */
function checkRabbitReferences(r: RabbitPart, ctx: Ctx): void {
  const base = ["rabbitmq"];
  const vhosts = new Set<string>();
  (r.vhosts ?? []).forEach((v, i) => {
    if (vhosts.has(v.name))
      report(ctx, [...base, "vhosts", i, "name"], `vhost "${v.name}" is declared twice`);
    vhosts.add(v.name);
  });
  const needVhost = (vh: string | undefined, path: (string | number)[]): void => {
    const name = vh ?? "/";
    if (!vhosts.has(name))
      report(ctx, path, `vhost "${name}" is not declared: add { name: "${name}" } to rabbitmq.vhosts`);
  };
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  (r.exchanges ?? []).forEach((e, i) => {
    needVhost(e.vhost, [...base, "exchanges", i, "vhost"]);
    const key = `${e.vhost ?? "/"}\u0000${e.name}`;
    if (exchanges.has(key))
      report(ctx, [...base, "exchanges", i, "name"], `exchange "${e.name}" is declared twice`);
    if (e.name.startsWith("amq."))
      report(ctx, [...base, "exchanges", i, "name"], `names starting with "amq." are reserved by RabbitMQ`);
    exchanges.add(key);
  });
  const specQueues = new Set((r.queues ?? []).map((q) => `${q.vhost ?? "/"}\u0000${q.name}`));
  checkTopics(r, ctx, exchanges, specQueues, queues, needVhost);
  (r.queues ?? []).forEach((q, i) => {
    needVhost(q.vhost, [...base, "queues", i, "vhost"]);
    const key = `${q.vhost ?? "/"}\u0000${q.name}`;
    if (queues.has(key)) report(ctx, [...base, "queues", i, "name"], `queue "${q.name}" is declared twice`);
    if (q.type === "stream" && (q.retry || q.deadLetter))
      report(
        ctx,
        [...base, "queues", i],
        "stream queues cannot dead-letter or retry; remove retry/deadLetter",
      );
    queues.add(key);
  });
  (r.bindings ?? []).forEach((b, i) => {
    const vh = b.vhost ?? "/";
    needVhost(b.vhost, [...base, "bindings", i, "vhost"]);
    if (!DEFAULT_EXCHANGES.has(b.source) && !exchanges.has(`${vh}\u0000${b.source}`))
      report(
        ctx,
        [...base, "bindings", i, "source"],
        `exchange "${b.source}" is not declared in vhost "${vh}"`,
      );
    const destinations = (b.destinationType ?? "queue") === "queue" ? queues : exchanges;
    if (!destinations.has(`${vh}\u0000${b.destination}`))
      report(
        ctx,
        [...base, "bindings", i, "destination"],
        `${b.destinationType ?? "queue"} "${b.destination}" is not declared in vhost "${vh}"`,
      );
  });
  (r.policies ?? []).forEach((p, i) => {
    needVhost(p.vhost, [...base, "policies", i, "vhost"]);
    try {
      new RegExp(p.pattern);
    } catch {
      report(ctx, [...base, "policies", i, "pattern"], "not a valid regular expression");
    }
  });
  const users = new Set<string>();
  (r.users ?? []).forEach((u, i) => {
    if (users.has(u.name)) report(ctx, [...base, "users", i, "name"], `user "${u.name}" is declared twice`);
    if (u.passwordHash !== undefined && u.passwordFromEnv !== undefined)
      report(ctx, [...base, "users", i], "give passwordHash or passwordFromEnv, not both");
    users.add(u.name);
  });
  (r.permissions ?? []).forEach((p, i) => {
    needVhost(p.vhost, [...base, "permissions", i, "vhost"]);
    if (!users.has(p.user))
      report(ctx, [...base, "permissions", i, "user"], `user "${p.user}" is not declared in rabbitmq.users`);
  });
}

/**
 * Topics and their groups: names that would turn into patterns, exchanges two topics declare differently,
 * a queue two groups would share, groups that need bindings, and settings an existing queue cannot take.
 * Adds the exchanges and queues topics declare to `exchanges` and `queues`, for the binding checks.
 */
function checkTopics(
  r: RabbitPart,
  ctx: Ctx,
  exchanges: Set<string>,
  specQueues: ReadonlySet<string>,
  queues: Set<string>,
  needVhost: (vh: string | undefined, path: (string | number)[]) => void,
): void {
  const badWord = (n: string): boolean => n.split(".").some((w) => w === "" || w === "*" || w === "#");
  const declaredTypes = new Map<string, string>();
  const declaredExchanges = new Set(exchanges);
  const groupQueues = new Map<string, string>();
  (r.topics ?? []).forEach((t, i) => {
    const at = ["rabbitmq", "topics", i];
    needVhost(t.vhost, [...at, "vhost"]);
    if (t.exchange === undefined && (badWord(t.name) || t.name.startsWith("amq.")))
      report(
        ctx,
        [...at, "name"],
        "topic names must not start with amq. or contain empty, * or # words (name the exchange with `exchange:` to use one of another name)",
      );
    t.groups.forEach((g, j) => {
      if (g.queue === undefined && badWord(g.name))
        report(
          ctx,
          [...at, "groups", j, "name"],
          "group names must not contain empty, * or # words (name the queue with `queue:`)",
        );
    });
  });
  for (const g of rabbitGroups(r)) {
    const i = Number(/topics\[(\d+)\]/.exec(g.path)![1]);
    const j = Number(/groups\[(\d+)\]/.exec(g.path)![1]);
    const t = r.topics![i]!;
    const spec = t.groups[j]!;
    const at = ["rabbitmq", "topics", i, "groups", j];
    const ek = `${g.vhost}\u0000${g.exchange}`;
    if (j === 0 && g.declareExchange) {
      const before = declaredTypes.get(ek);
      if (before !== undefined && before !== g.exchangeType)
        report(
          ctx,
          ["rabbitmq", "topics", i, "exchangeType"],
          `exchange "${g.exchange}" is declared by another topic as ${before}, here as ${g.exchangeType}`,
        );
      declaredTypes.set(ek, g.exchangeType);
      exchanges.add(ek);
    }
    if (j === 0 && t.exchangeType !== undefined && declaredExchanges.has(ek)) {
      const own = r.exchanges?.find((e) => (e.vhost ?? "/") === g.vhost && e.name === g.exchange);
      if (own && own.type !== t.exchangeType)
        report(
          ctx,
          ["rabbitmq", "topics", i, "exchangeType"],
          `exchange "${g.exchange}" is a ${own.type} exchange in rabbitmq.exchanges, not ${t.exchangeType}`,
        );
    }
    const qk = `${g.vhost}\u0000${g.queue}`;
    const other = groupQueues.get(qk);
    if (other !== undefined)
      report(
        ctx,
        [...at, spec.queue === undefined ? "name" : "queue"],
        `queue "${g.queue}" is already the queue of ${other}; each group needs its own queue (consumers of one queue compete, so two groups would split its messages)`,
      );
    groupQueues.set(qk, `group "${g.group}" of topic "${g.topic}"`);
    if (!g.declareQueue) {
      for (const k of ["queueType", "arguments", "deliveryLimit"] as const)
        if (spec[k] !== undefined)
          report(
            ctx,
            [...at, k],
            `queue "${g.queue}" exists already (${specQueues.has(qk) ? "it is in rabbitmq.queues" : "existing: true"}), so mqa never declares it: remove ${k}, or set it on the queue itself`,
          );
    } else queues.add(qk); // for the binding checks; two groups on one queue were reported above
    if (g.partitions > 1) {
      // Partition queues are mqa's own, bound `p<n>.#` on a topic exchange (src/transports/amqp/topology-plan.ts).
      const why =
        g.exchange === "" || g.exchangeType !== "topic"
          ? `partitions need a topic exchange, not ${g.exchange === "" ? 'the default exchange ("")' : `a ${g.exchangeType} exchange`}`
          : !g.declareQueue
            ? `group "${g.group}" attaches to an existing queue, which cannot be partitioned`
            : spec.bindings !== undefined
              ? `group "${g.group}" names bindings; partition queues are bound by mqa (p<n>.#)`
              : g.queueType === "stream"
                ? `group "${g.group}" is a stream queue; partitions are quorum or classic queues with a single active consumer`
                : undefined;
      if (why !== undefined) report(ctx, ["rabbitmq", "topics", i, "partitions"], why);
    }
    if (g.exchange === "" && (spec.bindings?.length ?? 0) > 0)
      report(
        ctx,
        [...at, "bindings"],
        'the default exchange ("") routes by queue name and takes no bindings: remove them',
      );
    const needsBindings = g.exchangeType === "direct" || g.exchangeType === "headers";
    if (needsBindings && g.declareQueue && g.exchange !== "" && spec.bindings === undefined)
      report(
        ctx,
        [...at, "bindings"],
        `group "${g.group}" on ${g.exchangeType} exchange "${g.exchange}" needs bindings: the ${g.exchangeType === "direct" ? "routing keys" : "header matches"} it takes`,
      );
    (spec.bindings ?? []).forEach((b, k) => {
      if (typeof b === "string") {
        if (g.exchangeType === "headers")
          report(
            ctx,
            [...at, "bindings", k],
            "a headers exchange matches headers, not routing keys: write { headers: { …: … }, match: all }",
          );
        else if (g.exchangeType === "direct" && /(^|\.)[*#](\.|$)/.test(b))
          report(
            ctx,
            [...at, "bindings", k],
            `"${b}" is a pattern, but a direct exchange matches routing keys exactly (use a topic exchange for patterns)`,
          );
      } else if ((b.headers !== undefined || b.match !== undefined) && g.exchangeType !== "headers")
        report(
          ctx,
          [...at, "bindings", k],
          `header matches work on headers exchanges only; "${g.exchange}" is a ${g.exchangeType} exchange`,
        );
    });
  }
  checkHistories(r, ctx, groupQueues, specQueues);
}

/** Topics' `history`: a stream queue RabbitMQ can express, with an exchange and a name of its own. */
function checkHistories(
  r: RabbitPart,
  ctx: Ctx,
  groupQueues: ReadonlyMap<string, string>,
  specQueues: ReadonlySet<string>,
): void {
  for (const h of rabbitHistories(r)) {
    const i = Number(/topics\[(\d+)\]/.exec(h.path)![1]);
    const at = ["rabbitmq", "topics", i, "history"];
    const maxAge = r.topics![i]!.history!.maxAge;
    if (streamMaxAge(durationMs(maxAge)) === undefined)
      report(ctx, [...at, "maxAge"], `a stream keeps messages for whole seconds, at least 1s: not ${maxAge}`);
    if (h.exchange === "")
      report(ctx, at, 'the default exchange ("") cannot feed a history stream: give the topic an exchange');
    else if (h.bindings.length === 0)
      report(
        ctx,
        at,
        `a history on direct exchange "${h.exchange}" takes the routing keys of the topic's groups, and they bind none`,
      );
    const qk = `${h.vhost}\u0000${h.queue}`;
    const other = groupQueues.get(qk) ?? (specQueues.has(qk) ? "an entry of rabbitmq.queues" : undefined);
    if (other !== undefined)
      report(ctx, at, `queue "${h.queue}" (the topic's history) is already the queue of ${other}`);
  }
}

/** The topology spec schema. */
export const topologySpec = z
  .strictObject({
    /** Editors use this to find the JSON Schema. */
    $schema: z.string().optional(),
    version: z.literal(1).describe("Spec format version"),
    rabbitmq: rabbitmq
      .optional()
      .describe("RabbitMQ resources (flat lists, each item names its vhost, as in definitions.json)"),
    redis: redis.optional().describe("Redis Streams topics, partitions, consumer groups and retention"),
  })
  .superRefine((spec, ctx) => {
    if (spec.rabbitmq) checkRabbitReferences(spec.rabbitmq, ctx);
    const seen = new Set<string>();
    const keys = new Map<string, string>();
    if (spec.redis?.keyPrefix !== undefined && /[{}]/.test(spec.redis.keyPrefix))
      report(ctx, ["redis", "keyPrefix"], "must not contain { or } (they are hash tag braces)");
    (spec.redis?.streams ?? []).forEach((s, i) => {
      const at = ["redis", "streams", i];
      if (s.key !== undefined) {
        if ((s.partitions ?? 1) > 1)
          report(
            ctx,
            [...at, "partitions"],
            `a stream with key "${s.key}" is that one stream: partitions must be 1 (remove partitions or key)`,
          );
        const other = keys.get(s.key);
        if (other !== undefined)
          report(ctx, [...at, "key"], `key "${s.key}" is already the key of stream "${other}"`);
        keys.set(s.key, s.name);
      }
      if (s.fields !== undefined) {
        if (s.fields.id !== undefined && s.fields.id === s.fields.payload)
          report(ctx, [...at, "fields", "id"], "the id field must differ from the payload field");
        for (const f of ["payload", "id"] as const)
          if (s.fields[f] === "m")
            report(
              ctx,
              [...at, "fields", f],
              "a field named \"m\" marks mqa's own entry layout (entries with it are read as mqa's); it cannot be mapped",
            );
      }
      if (s.retention?.maxLength !== undefined && s.retention.maxAge !== undefined)
        report(
          ctx,
          ["redis", "streams", i, "retention"],
          "give maxLength or maxAge, not both (streams are trimmed by one policy)",
        );
      if (seen.has(s.name))
        report(ctx, ["redis", "streams", i, "name"], `stream "${s.name}" is declared twice`);
      seen.add(s.name);
      const groups = new Set<string>();
      (s.groups ?? []).forEach((g, j) => {
        if (groups.has(g.name))
          report(ctx, ["redis", "streams", i, "groups", j, "name"], `group "${g.name}" is declared twice`);
        groups.add(g.name);
      });
    });
  });

/** A validated topology spec. */
export type TopologySpec = z.infer<typeof topologySpec>;
export type RabbitSpec = NonNullable<TopologySpec["rabbitmq"]>;
export type RedisSpec = NonNullable<TopologySpec["redis"]>;
