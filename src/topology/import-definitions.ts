/**
 * definitions.json (a file, or a live broker's) → a topology spec. Resources are listed as they are (no
 * pattern detection); users keep their hashes, so the spec carries no plaintext password. Keys mqa's schema
 * does not know are dropped and reported, so the result always validates.
 */
import type { RabbitDefinitions, UserDefinition } from "../brokers/rabbit-definitions.js";
import { queueType } from "../brokers/rabbit-definitions.js";
import { validateSpec } from "../spec/parse.js";
import { policyDefinition, queueArguments } from "../spec/schema/rabbitmq.js";
import type { TopologySpec } from "../spec/schema/spec.js";

export interface ImportResult {
  spec: TopologySpec;
  /** What could not be carried over, e.g. `queue shop/q: argument x-foo dropped`. */
  warnings: string[];
}

const QUEUE_ARGS = new Set(Object.keys(queueArguments.shape));
const POLICY_KEYS = new Set(Object.keys(policyDefinition.shape));

function isBuiltIn(name: string): boolean {
  return name === "" || name.startsWith("amq.");
}

function tags(u: UserDefinition): string[] {
  return (Array.isArray(u.tags) ? u.tags : u.tags.split(",")).map((t) => t.trim()).filter((t) => t !== "");
}

/** Turn definitions into a spec. `vhosts` limits the import to those vhosts (users come along when they have permissions there). */
export function definitionsToSpec(
  defs: RabbitDefinitions,
  options: { vhosts?: string[] } = {},
): ImportResult {
  const warnings: string[] = [];
  const keep = (vhost: string): boolean => options.vhosts === undefined || options.vhosts.includes(vhost);
  const permissions = (defs.permissions ?? []).filter((p) => keep(p.vhost));
  const userNames = new Set(permissions.map((p) => p.user));
  const users = (defs.users ?? []).filter((u) => options.vhosts === undefined || userNames.has(u.name));
  const knownUsers = new Set(users.map((u) => u.name));

  const queues = (defs.queues ?? [])
    .filter((q) => keep(q.vhost) && !isBuiltIn(q.name))
    .map((q) => {
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(q.arguments ?? {})) {
        if (k === "x-queue-type") continue;
        if (QUEUE_ARGS.has(k)) args[k] = v;
        else
          warnings.push(`queue ${q.vhost}/${q.name}: argument ${k} is not in mqa's schema and was dropped`);
      }
      const type = queueType(q);
      return {
        name: q.name,
        vhost: q.vhost,
        type: type === "quorum" || type === "stream" ? type : ("classic" as const),
        ...(q.durable ? {} : { durable: false }),
        ...(q.auto_delete ? { autoDelete: true } : {}),
        ...(Object.keys(args).length > 0 ? { arguments: args } : {}),
      };
    });
  const exchanges = (defs.exchanges ?? [])
    .filter((e) => keep(e.vhost) && !isBuiltIn(e.name))
    .map((e) => {
      const ae = e.arguments?.["alternate-exchange"];
      for (const k of Object.keys(e.arguments ?? {}))
        if (k !== "alternate-exchange")
          warnings.push(`exchange ${e.vhost}/${e.name}: argument ${k} was dropped`);
      return {
        name: e.name,
        vhost: e.vhost,
        type: e.type,
        ...(e.durable ? {} : { durable: false }),
        ...(e.auto_delete ? { autoDelete: true } : {}),
        ...(e.internal ? { internal: true } : {}),
        ...(typeof ae === "string" ? { arguments: { "alternate-exchange": ae } } : {}),
      };
    });
  const policies = (defs.policies ?? [])
    .filter((p) => keep(p.vhost))
    .map((p) => {
      const definition: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p.definition ?? {})) {
        if (POLICY_KEYS.has(k)) definition[k] = v;
        else warnings.push(`policy ${p.vhost}/${p.name}: key ${k} is not in mqa's schema and was dropped`);
      }
      return {
        vhost: p.vhost,
        name: p.name,
        pattern: p.pattern,
        applyTo: p["apply-to"],
        priority: p.priority,
        definition,
      };
    });
  const spec = {
    version: 1,
    rabbitmq: {
      vhosts: (defs.vhosts ?? []).filter((v) => keep(v.name)).map((v) => ({ name: v.name })),
      exchanges,
      queues,
      bindings: (defs.bindings ?? [])
        .filter((b) => keep(b.vhost) && b.source !== "")
        .map((b) => ({
          vhost: b.vhost,
          source: b.source,
          destination: b.destination,
          destinationType: b.destination_type,
          routingKey: b.routing_key,
          ...(Object.keys(b.arguments ?? {}).length > 0 ? { arguments: b.arguments } : {}),
        })),
      policies,
      users: users.map((u) => ({
        name: u.name,
        tags: tags(u),
        ...(u.password_hash ? { passwordHash: u.password_hash, hashingAlgorithm: u.hashing_algorithm } : {}),
      })),
      permissions: permissions
        .filter((p) => knownUsers.has(p.user))
        .map((p) => ({ user: p.user, vhost: p.vhost, configure: p.configure, write: p.write, read: p.read })),
    },
  };
  return { spec: validateSpec(spec, "(imported definitions)"), warnings };
}
