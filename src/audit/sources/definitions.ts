/**
 * Parse RabbitMQ definitions (the JSON of `rabbitmqctl export_definitions` and `GET /api/definitions`) into
 * the audit model. Unknown keys are allowed because every RabbitMQ release adds some; wrong types are not:
 * each problem is reported with its path.
 */
import { z } from "zod";
import { InvalidOptionsError } from "../../core/errors.js";
import { formatIssues } from "../../core/options.js";
import { maskUrl } from "../../core/redact.js";
import type {
  PolicyApplyTo,
  QueueType,
  RabbitDeclarations,
  RabbitParameter,
  RabbitPolicy,
} from "../model.js";

const args = z.record(z.string(), z.unknown()).default({});
const vhost = z.string().default("/");

const policySchema = z.looseObject({
  vhost,
  name: z.string(),
  pattern: z.string(),
  "apply-to": z
    .enum(["all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams"])
    .default("all"),
  priority: z.number().default(0),
  definition: z.record(z.string(), z.unknown()),
});

const definitionsSchema = z.looseObject({
  rabbit_version: z.string().optional(),
  rabbitmq_version: z.string().optional(),
  users: z
    .array(
      z.looseObject({
        name: z.string(),
        password_hash: z.string().default(""),
        hashing_algorithm: z.string().optional(),
        // Hand-written definitions sometimes carry the cleartext password; it is only kept to scrub it.
        password: z.string().optional(),
        tags: z.union([z.string(), z.array(z.string())]).default([]),
      }),
    )
    .default([]),
  vhosts: z.array(z.looseObject({ name: z.string() })).default([]),
  permissions: z
    .array(
      z.looseObject({
        user: z.string(),
        vhost,
        configure: z.string(),
        write: z.string(),
        read: z.string(),
      }),
    )
    .default([]),
  parameters: z
    .array(
      z.looseObject({
        vhost,
        component: z.string(),
        name: z.string(),
        // Usually an object (shovel, federation-upstream, vhost-limits), but plugins may store any JSON
        // value; an unexpected shape must not stop the audit of everything else.
        value: z.unknown(),
      }),
    )
    .default([]),
  global_parameters: z.array(z.looseObject({ name: z.string(), value: z.unknown() })).default([]),
  policies: z.array(policySchema).default([]),
  operator_policies: z.array(policySchema).default([]),
  queues: z
    .array(
      z.looseObject({
        name: z.string(),
        vhost,
        durable: z.boolean().default(true),
        auto_delete: z.boolean().default(false),
        exclusive: z.boolean().default(false),
        type: z.string().optional(),
        arguments: args,
      }),
    )
    .default([]),
  exchanges: z
    .array(
      z.looseObject({
        name: z.string(),
        vhost,
        type: z.string(),
        durable: z.boolean().default(true),
        auto_delete: z.boolean().default(false),
        internal: z.boolean().default(false),
        arguments: args,
      }),
    )
    .default([]),
  bindings: z
    .array(
      z.looseObject({
        source: z.string(),
        vhost,
        destination: z.string(),
        destination_type: z.enum(["queue", "exchange"]),
        routing_key: z.string().default(""),
        arguments: args,
      }),
    )
    .default([]),
});

/** Keys that mark a JSON document as RabbitMQ definitions rather than an mqa spec. */
export const DEFINITIONS_KEYS = [
  "rabbit_version",
  "rabbitmq_version",
  "users",
  "vhosts",
  "permissions",
  "queues",
  "exchanges",
  "bindings",
  "policies",
  "parameters",
  "global_parameters",
] as const;

function queueType(declared: string | undefined, a: Record<string, unknown>): QueueType {
  const t = declared ?? a["x-queue-type"];
  return t === "quorum" || t === "stream" ? t : "classic";
}

/** Pull every URI out of a parameter value (shovel src-uri/dest-uri, federation uri; string or list). */
function extractUris(value: Record<string, unknown>, secrets: Set<string>): RabbitParameter["uris"] {
  const out: RabbitParameter["uris"] = [];
  for (const [key, raw] of Object.entries(value)) {
    const list = Array.isArray(raw) ? raw : [raw];
    for (const item of list) {
      if (typeof item !== "string" || !/^[a-z][a-z0-9+.-]*:\/\//i.test(item)) continue;
      let hasPassword = false;
      let scheme = item.split(":")[0]!.toLowerCase();
      let host = "";
      try {
        const u = new URL(item);
        scheme = u.protocol.replace(/:$/, "");
        host = u.hostname;
        if (u.password) {
          hasPassword = true;
          secrets.add(u.password);
          secrets.add(decodeURIComponent(u.password));
        }
      } catch {
        // Unparseable URI: maskUrl's regex fallback still hides a password.
        const m = /\/\/[^:/@\s]*:([^@/\s]+)@/.exec(item);
        if (m?.[1]) {
          hasPassword = true;
          secrets.add(m[1]);
        }
      }
      out.push({ key, masked: maskUrl(item), hasPassword, scheme, host });
    }
  }
  return out;
}

/** Replace URIs in a parameter value by their masked form, so the model holds no URI password. */
/** A parameter value as an object: objects as they are, anything else under the key `value`. */
function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

function maskValue(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string") out[k] = maskUrl(v);
    else if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === "string" ? maskUrl(x) : x));
    else out[k] = v;
  }
  return out;
}

/** Error for audit input that cannot be read; names the source and every offending path. */
/** A parsed policy (from definitions or the policy APIs) in the audit model; `operator` for operator policies. */
function toPolicy(p: z.output<typeof policySchema>, operator: boolean): RabbitPolicy {
  return {
    vhost: p.vhost,
    name: p.name,
    pattern: p.pattern,
    applyTo: p["apply-to"] as PolicyApplyTo,
    priority: p.priority,
    definition: p.definition,
    operator,
  };
}

export class AuditInputError extends InvalidOptionsError {}

/**
 * The algorithm RabbitMQ's import assumes for a user exported without `hashing_algorithm`: MD5 for exports
 * of 3.0–3.5, SHA-256 for 3.6.0 (and the node's default, SHA-256, for anything else), as
 * rabbit_auth_backend_internal does on import.
 */
export function impliedHashingAlgorithm(version: string | undefined): string {
  return version !== undefined && /^3\.[0-5]\./.test(version.trim())
    ? "rabbit_password_hashing_md5"
    : "rabbit_password_hashing_sha256";
}

/**
 * Validate and normalise a definitions document. `what` names the source in errors (a file path or a
 * masked URL). Secrets met on the way (hashes, URI passwords) are added to `secrets` for scrubbing.
 */
export function parseDefinitions(input: unknown, what: string, secrets: Set<string>): RabbitDeclarations {
  const result = definitionsSchema.safeParse(input);
  if (!result.success) {
    const issues = formatIssues(result.error.issues);
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n");
    throw new AuditInputError(`invalid RabbitMQ definitions in ${what}:\n${list}`, { details: { issues } });
  }
  const d = result.data;
  for (const u of d.users) {
    if (u.password_hash) secrets.add(u.password_hash);
    if (u.password) secrets.add(u.password);
  }
  const version = d.rabbitmq_version ?? d.rabbit_version;
  return {
    rabbitVersion: version,
    users: d.users.map((u) => ({
      name: u.name,
      passwordHash: u.password_hash,
      hashingAlgorithm: u.hashing_algorithm ?? impliedHashingAlgorithm(version),
      hashingAlgorithmImplied: u.hashing_algorithm === undefined,
      plaintextPassword:
        u.password === undefined || u.password === ""
          ? "absent"
          : u.password === u.name
            ? "same-as-name"
            : "present",
      // 3.0–3.12 export tags as "a,b"; 3.13+ as a list.
      tags: (Array.isArray(u.tags) ? u.tags : u.tags.split(",")).map((t) => t.trim()).filter((t) => t !== ""),
    })),
    vhosts: d.vhosts.map((v) => v.name),
    permissions: d.permissions.map((p) => ({ ...p })),
    parameters: d.parameters.map((p) => ({
      vhost: p.vhost,
      component: p.component,
      name: p.name,
      uris: extractUris(asRecord(p.value), secrets),
      value: maskValue(asRecord(p.value)),
    })),
    globalParameters: d.global_parameters.map((g) => ({ name: g.name, value: g.value })),
    policies: [
      ...d.policies.map((p) => toPolicy(p, false)),
      ...d.operator_policies.map((p) => toPolicy(p, true)),
    ],
    queues: d.queues.map((q) => ({
      vhost: q.vhost,
      name: q.name,
      type: queueType(q.type, q.arguments),
      durable: q.durable,
      autoDelete: q.auto_delete,
      exclusive: q.exclusive,
      arguments: q.arguments,
    })),
    exchanges: d.exchanges.map((e) => ({
      vhost: e.vhost,
      name: e.name,
      type: e.type,
      durable: e.durable,
      autoDelete: e.auto_delete,
      internal: e.internal,
      arguments: e.arguments,
    })),
    bindings: d.bindings.map((b) => ({
      vhost: b.vhost,
      source: b.source,
      destination: b.destination,
      destinationType: b.destination_type,
      routingKey: b.routing_key,
      arguments: b.arguments,
    })),
  };
}

/** Parse a policy list from the management API (`/api/operator-policies`). */
export function parsePolicies(input: unknown, operator: boolean, what: string): RabbitPolicy[] {
  const result = z.array(policySchema).safeParse(input);
  if (!result.success) {
    const issues = formatIssues(result.error.issues);
    throw new AuditInputError(
      `invalid policies from ${what}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
      { details: { issues } },
    );
  }
  return result.data.map((p) => toPolicy(p, operator));
}
