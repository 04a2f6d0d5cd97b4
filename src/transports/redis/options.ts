/**
 * Options of the Redis Streams transport: validated once with zod (unknown keys rejected), defaults
 * documented here and in docs/redis.md.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { z } from "zod";
import { InvalidOptionsError } from "../../core/errors.js";
import { parseOptions, type OptionIssue } from "../../core/options.js";
import { validateSpec } from "../../spec/parse.js";
import { WHOLE_ENTRY } from "./fields.js";
import { DEFAULT_KEY_PREFIX } from "./naming.js";
import { redisSettingsFromSpec } from "./spec-topics.js";

const trimSchema = z.union([
  z.strictObject({ maxLen: z.number().int().positive() }),
  z.strictObject({ maxAgeMs: z.number().int().positive() }),
]);

const fieldsSchema = z
  .strictObject({
    /** The field holding the payload; `"*"`: every field, as one JSON object `{"field":"value",…}`. */
    payload: z.string().min(1),
    /**
     * Content type to assume for the topic's entries in this layout. @defaultValue none: the router decodes
     * with the route's codec (JSON by default); `application/json` for `payload: "*"`
     */
    contentType: z.string().min(1).optional(),
    /** The field holding the message id. @defaultValue none: the entry id is the message id */
    id: z.string().min(1).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.id !== undefined && f.id === f.payload)
      ctx.addIssue({
        code: "custom",
        path: ["id"],
        message: "the id field must differ from the payload field",
      });
    // Entries with a field `m` are read as mqa's own layout (its retries and dead letters are written so).
    for (const k of ["payload", "id"] as const)
      if (f[k] === "m")
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: 'a field named "m" marks mqa\'s own entry layout; it cannot be mapped',
        });
    if (f.id === WHOLE_ENTRY)
      ctx.addIssue({ code: "custom", path: ["id"], message: '"*" means the whole entry; name one field' });
  });

const topicSchema = z
  .strictObject({
    /** Partition streams of the topic. @defaultValue 1 */
    partitions: z.number().int().min(1).max(1024).default(1),
    /** Trim the topic stream(s); never past an entry a group still needs. @defaultValue no trimming */
    trim: trimSchema.optional(),
    /**
     * The topic's stream key as it is on the server (e.g. `orders`, a stream another program owns), instead
     * of mqa's `<keyPrefix>:{topic}`. Such a topic has exactly one partition; mqa's own keys for it (retries,
     * dead letters) are `<keyPrefix>:{<tag>}:key:<key>:…`, in the stream's cluster slot. @defaultValue `<keyPrefix>:{topic}`
     */
    key: z.string().min(1).max(512).optional(),
    /**
     * Field layout of the topic's entries when another program writes (or reads) them: mqa reads entries
     * without its field `m` by this mapping, and publishes in this layout. @defaultValue mqa's layout (`m` + `p`)
     */
    fields: fieldsSchema.optional(),
    /** Per consumer group of the topic. @defaultValue every group is created by mqa when absent */
    groups: z
      .record(
        z.string(),
        z.strictObject({
          /**
           * The group exists already (its owner created it): mqa checks it on declare (`not-found` when
           * missing) and never creates it. @defaultValue false
           */
          existing: z.boolean().optional(),
        }),
      )
      .optional(),
  })
  .superRefine((t, ctx) => {
    if (t.key !== undefined && t.partitions > 1)
      ctx.addIssue({
        code: "custom",
        path: ["partitions"],
        message: `a topic with key ${JSON.stringify(t.key)} is that one stream: partitions must be 1 (remove partitions or key)`,
      });
  });

const pem = z.union([z.string(), z.instanceof(Buffer)]);

const schema = z.strictObject({
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. @defaultValue "redis://127.0.0.1:6379" */
  url: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .default("redis://127.0.0.1:6379"),
  /**
   * Connect to a Redis Cluster: `true` uses `url` as the one seed node; `{ nodes }` lists seed nodes
   * (`redis://host:port` each; credentials and TLS come from `url` and the options, as for `url`). The client
   * learns the rest of the cluster from a seed, routes each command to the slot's primary and follows MOVED
   * and ASK. A database number other than 0 is refused (a cluster has only database 0). @defaultValue false
   */
  cluster: z
    .union([
      z.boolean(),
      z.strictObject({
        nodes: z
          .array(
            z.string().regex(/^rediss?:\/\/[^/]+(\/0?)?$/, "must be redis://host:port or rediss://host:port"),
          )
          .min(1),
      }),
    ])
    .default(false),
  /** ACL user; overrides the URL's. */
  username: z.string().optional(),
  /** Password; overrides the URL's. Never logged. */
  password: z.string().optional(),
  /** TLS settings (implied by `rediss://`): CA and client certificate for mutual TLS. */
  tls: z
    .strictObject({
      ca: z.union([pem, z.array(pem)]).optional(),
      cert: pem.optional(),
      key: pem.optional(),
      servername: z.string().optional(),
      /** @defaultValue true */
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  /** Prefix of every key. @defaultValue "mqa" */
  keyPrefix: z.string().min(1).default(DEFAULT_KEY_PREFIX),
  /**
   * Per-topic settings (partitions, trimming, stream key, field layout, groups). Topics not listed have one
   * partition, no trimming, mqa's key and layout. With `topology`, an entry overrides the spec's settings of
   * that topic field by field. @defaultValue {}
   */
  topics: z.record(z.string(), topicSchema).default({}),
  /**
   * A topology spec (the file `mqa topology` applies, as a value: `loadSpecFile` reads one), validated like
   * `mqa topology validate`. Its `redis.streams` become the `topics` settings (`partitions`, `retention`,
   * `key`, `fields`, groups' `existing`), its `redis.keyPrefix` the `keyPrefix` (unless given here), and it
   * is the source of truth: publishing to, declaring or subscribing to a topic or group it does not list
   * fails with `invalid-options`. @defaultValue none: any topic and group
   */
  topology: z.unknown().optional(),
  /** TCP/TLS connect timeout per attempt, ms. @defaultValue 10000 */
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /**
   * How long `connect()` keeps trying (with the reconnect backoff) before it rejects; a refused password or
   * certificate rejects at once. @defaultValue 30000
   */
  initialConnectTimeoutMs: z.number().int().positive().default(30_000),
  /** Reconnect backoff (exponential, full jitter). */
  reconnect: z
    .strictObject({
      /** @defaultValue 100 */
      baseMs: z.number().int().positive().default(100),
      /** @defaultValue 5000 */
      maxMs: z.number().int().positive().default(5_000),
      /** @defaultValue 2 */
      multiplier: z.number().min(1).default(2),
    })
    .default({ baseMs: 100, maxMs: 5_000, multiplier: 2 }),
  /** Most XADDs in flight at once; further publishes wait for a slot. @defaultValue 1000 */
  maxInFlight: z.number().int().positive().default(1_000),
  /**
   * Most publishes waiting for an in-flight slot (while the connection is down, and before the first
   * connection too); beyond it a publish rejects at once, not sent, instead of piling up in memory:
   * `connection-closed` while Redis is not connected, `publish-rejected` while it is. @defaultValue 10000
   */
  maxQueuedPublishes: z.number().int().min(0).default(10_000),
  /**
   * A publish not confirmed in this time rejects with `publish-timeout` (`connection-closed` when Redis was
   * never reached); `details.sent` says whether it may be stored. @defaultValue 10000
   */
  publishTimeoutMs: z.number().int().positive().default(10_000),
  /** Extra durability before a publish resolves; `durability-not-met` when the server cannot confirm it. */
  durability: z
    .strictObject({
      /** Replicas that must have the write (WAIT). @defaultValue 0 */
      replicas: z.number().int().min(0).default(0),
      /** The write must be fsynced to the local AOF (WAITAOF, or `appendfsync always`). @defaultValue false */
      localFsync: z.boolean().default(false),
      /** @defaultValue 1000 */
      timeoutMs: z.number().int().positive().default(1_000),
    })
    .optional(),
  /** XREADGROUP BLOCK time; also how often a consumer re-checks its partitions. @defaultValue 1000 */
  blockMs: z.number().int().positive().default(1_000),
  /** Pending entries idle longer than this are reclaimed from their (presumed dead) consumer. @defaultValue 30000 */
  claimIdleMs: z.number().int().positive().default(30_000),
  /** How often each consumer looks for entries to reclaim. @defaultValue claimIdleMs / 2, at most 10000 */
  claimIntervalMs: z.number().int().positive().optional(),
  /** Consumers with nothing pending, idle longer than this, are removed from the group. @defaultValue 600000 */
  consumerIdleMs: z.number().int().positive().default(600_000),
  /** How often delayed retries that are due are moved into the retry stream. @defaultValue 200 */
  delayPollMs: z.number().int().positive().default(200),
  /**
   * A delivery whose attempt (mqa retries plus broker redeliveries) exceeds this goes to the DLQ
   * without reaching the handler (reason `max-deliveries`): it stops crash loops. @defaultValue 20
   */
  maxDeliveries: z.number().int().positive().default(20),
  /** Cap on each dead-letter stream (approximate MAXLEN); 0 keeps every dead letter. @defaultValue 0 */
  deadLetterMaxLen: z.number().int().min(0).default(0),
  /** Partition lease time; a dead owner's partitions move after this. @defaultValue 10000 */
  partitionLeaseMs: z.number().int().positive().default(10_000),
  /** Consumer names are `<prefix>-<random>`. @defaultValue "<hostname>-<pid>" */
  consumerNamePrefix: z.string().min(1).optional(),
  /** A pino logger; silent when omitted. */
  logger: z.custom<Logger>((v) => typeof v === "object" && v !== null && "child" in v).optional(),
});

/** Options as a user writes them. */
export type RedisTransportOptions = z.input<typeof schema>;
/** One topic's settings with defaults applied. */
export type ResolvedRedisTopic = z.output<typeof topicSchema>;
/** Options with defaults applied. */
export type ResolvedRedisOptions = Omit<z.output<typeof schema>, "topology"> & {
  claimIntervalMs: number;
  consumerNamePrefix: string;
  /** With a topology spec: topic → the groups it lists, the names the transport accepts. */
  specTopics: ReadonlyMap<string, ReadonlySet<string>> | undefined;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Set `record[name]` as an own property, also for a topic named `__proto__` (an assignment would not). */
function put(record: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Fold a `topology` spec into the options it stands for: its streams become `topics` (an explicit entry
 * overrides the spec's settings field by field, and its groups group by group), its key prefix the
 * `keyPrefix` unless one is given. Explicit entries for topics or groups the spec lacks are refused: with a
 * spec, the spec decides what exists.
 */
function withTopology(input: Record<string, unknown>): {
  merged: Record<string, unknown>;
  known: ReadonlyMap<string, ReadonlySet<string>>;
} {
  const spec = validateSpec(input["topology"], "(RedisTransport options.topology)");
  const fromSpec = redisSettingsFromSpec(spec);
  const topics: Record<string, unknown> = { ...fromSpec.topics };
  const issues: OptionIssue[] = [];
  const explicit = input["topics"];
  if (isRecord(explicit)) {
    for (const [topic, entry] of Object.entries(explicit)) {
      const groups = fromSpec.known.get(topic);
      if (groups === undefined) {
        issues.push({
          path: `topics.${topic}`,
          message: "not in the topology spec's redis.streams (with a spec, the spec lists the topics)",
        });
        continue;
      }
      if (!isRecord(entry)) {
        put(topics, topic, entry); // zod reports what it is
        continue;
      }
      const base = fromSpec.topics[topic]!;
      const ownGroups = entry["groups"];
      if (isRecord(ownGroups))
        for (const g of Object.keys(ownGroups))
          if (!groups.has(g))
            issues.push({
              path: `topics.${topic}.groups.${g}`,
              message:
                "not a group of this stream in the topology spec (with a spec, the spec lists the groups)",
            });
      put(topics, topic, {
        ...base,
        ...entry,
        ...(isRecord(ownGroups) ? { groups: { ...base.groups, ...ownGroups } } : {}),
      });
    }
  }
  if (issues.length > 0) {
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n");
    throw new InvalidOptionsError(`invalid RedisTransport options:\n${list}`, { details: { issues } });
  }
  const merged: Record<string, unknown> = { ...input, topics };
  delete merged["topology"];
  if (merged["keyPrefix"] === undefined && fromSpec.keyPrefix !== undefined)
    merged["keyPrefix"] = fromSpec.keyPrefix;
  return { merged, known: fromSpec.known };
}

/** Validate and expand defaults; throws `invalid-options` listing every problem with its path. */
export function parseRedisOptions(input: unknown): ResolvedRedisOptions {
  const raw = input ?? {};
  const spec = isRecord(raw) && raw["topology"] !== undefined ? withTopology(raw) : undefined;
  const { topology: _topology, ...o } = parseOptions(schema, spec?.merged ?? raw, "RedisTransport options");
  const issues: OptionIssue[] = [];
  const keys = new Map<string, string>();
  for (const [topic, t] of Object.entries(o.topics)) {
    if (t.key === undefined) continue;
    const other = keys.get(t.key);
    // Two topics on one stream would also share their retry and dead-letter keys: one topic per stream.
    if (other !== undefined)
      issues.push({
        path: `topics.${topic}.key`,
        message: `already the key of topic ${JSON.stringify(other)}`,
      });
    keys.set(t.key, topic);
  }
  if (o.cluster !== false && /^rediss?:\/\/[^/]*\/(?!0?$)/.test(o.url))
    issues.push({
      path: "url",
      message: "a Redis Cluster has only database 0; remove the database number from the url",
    });
  if (issues.length > 0) {
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n");
    throw new InvalidOptionsError(`invalid RedisTransport options:\n${list}`, { details: { issues } });
  }
  return {
    ...o,
    claimIntervalMs: o.claimIntervalMs ?? Math.min(10_000, Math.max(50, Math.floor(o.claimIdleMs / 2))),
    consumerNamePrefix: o.consumerNamePrefix ?? `${hostname()}-${process.pid}`,
    specTopics: spec?.known,
  };
}
