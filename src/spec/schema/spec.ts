/**
 * The whole topology spec: `version`, an optional `rabbitmq` part and an optional `redis` part. Every object
 * is strict (unknown keys fail) and cross-references are checked, each problem with its path.
 */
import { z } from "zod";
import { rabbitmq } from "./rabbitmq.js";
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
  const badWord = (n: string): boolean => n.split(".").some((w) => w === "" || w === "*" || w === "#");
  (r.topics ?? []).forEach((t, i) => {
    needVhost(t.vhost, [...base, "topics", i, "vhost"]);
    if (badWord(t.name) || t.name.startsWith("amq."))
      report(
        ctx,
        [...base, "topics", i, "name"],
        "topic names must not start with amq. or contain empty, * or # words",
      );
    t.groups.forEach((g, j) => {
      if (badWord(g.name))
        report(
          ctx,
          [...base, "topics", i, "groups", j, "name"],
          "group names must not contain empty, * or # words",
        );
    });
    const key = `${t.vhost ?? "/"}\u0000${t.name}`;
    if (exchanges.has(key))
      report(
        ctx,
        [...base, "topics", i, "name"],
        `topic "${t.name}" clashes with an exchange of the same name`,
      );
    exchanges.add(key);
    t.groups.forEach((g) => queues.add(`${t.vhost ?? "/"}\u0000${t.name}.${g.name}`));
  });
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
    if (spec.redis?.keyPrefix !== undefined && /[{}]/.test(spec.redis.keyPrefix))
      report(ctx, ["redis", "keyPrefix"], "must not contain { or } (they are hash tag braces)");
    (spec.redis?.streams ?? []).forEach((s, i) => {
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
