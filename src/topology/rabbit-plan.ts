/**
 * Desired definitions (from a spec) against live definitions → the changes that make the broker match.
 * Scope: the vhosts the spec declares (and the users it declares); nothing else on the broker is touched.
 */
import type {
  BindingDefinition,
  ExchangeDefinition,
  PermissionDefinition,
  PolicyDefinition,
  QueueDefinition,
  RabbitDefinitions,
  UserDefinition,
  VhostDefinition,
} from "../brokers/rabbit-definitions.js";
import { queueType } from "../brokers/rabbit-definitions.js";
import { identity, stableJson, type ExpandedRabbit } from "./expand-rabbit.js";
import { rabbitPasswordMatches } from "./password-hash.js";
import type { FieldChange, RabbitChange } from "./plan-types.js";
import type { RabbitOp } from "./rabbit-ops.js";
import { exchangeMigration, queueMigration } from "./rabbit-migration.js";

export interface RabbitPlanInput {
  desired: ExpandedRabbit;
  actual: RabbitDefinitions;
  /** Messages per queue (`vhost\0name`), for migration advice. */
  queueMessages?: ReadonlyMap<string, number>;
  env?: Readonly<Record<string, string | undefined>>;
}

const same = (a: unknown, b: unknown): boolean => stableJson(a) === stableJson(b);

function fieldChanges(
  actual: Record<string, unknown>,
  desired: Record<string, unknown>,
  fields: string[],
): FieldChange[] {
  return fields
    .filter((f) => !same(actual[f], desired[f]))
    .map((f) => ({ field: f, from: actual[f], to: desired[f] }));
}

function tagsOf(u: Pick<UserDefinition, "tags">): string[] {
  const tags = Array.isArray(u.tags) ? u.tags : u.tags.split(",");
  return tags
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .sort();
}

/** Arguments compared with the queue type taken out (it is compared as `type`). */
function queueView(q: QueueDefinition): Record<string, unknown> {
  const { "x-queue-type": _t, ...args } = q.arguments;
  return { type: queueType(q), durable: q.durable, auto_delete: q.auto_delete, ...prefix(args) };
}

function prefix(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [`arguments.${k}`, v]));
}

function exchangeView(e: ExchangeDefinition): Record<string, unknown> {
  return {
    type: e.type,
    durable: e.durable,
    auto_delete: e.auto_delete,
    internal: e.internal,
    ...prefix(e.arguments),
  };
}

const bindingName = (b: BindingDefinition): string =>
  `${b.vhost}: ${b.source || "(default)"} → ${b.destination_type === "exchange" ? "exchange " : ""}${b.destination} (${b.routing_key === "" ? "no key" : b.routing_key})`;

/** Resources RabbitMQ creates itself, or clients create at run time: never planned for deletion. */
function isBuiltIn(name: string): boolean {
  return name === "" || name.startsWith("amq.");
}

/** How one kind of resource is compared, changed and undone. */
interface KindRules<T> {
  kind: string;
  key: (t: T) => string;
  name: (t: T) => string;
  /** Operation that makes the desired resource. */
  put: (want: T) => RabbitOp;
  /** Operation that brings back the live resource as it was. @defaultValue put */
  restore?: (live: T) => RabbitOp;
  remove: (t: T) => RabbitOp;
  /** Differences that matter; none means unchanged. */
  fields: (live: T, want: T) => FieldChange[];
  /** Set for kinds RabbitMQ cannot change in place: a difference becomes a `replace` with these steps. */
  migration?: (live: T, want: T, fields: FieldChange[]) => string[];
  /** Live resources the spec no longer declares that are in its scope (deleted with prune). */
  deletable: (live: T) => boolean;
}

function planKind<T>(
  rules: KindRules<T>,
  want: readonly T[],
  live: readonly T[],
): { changes: RabbitChange[]; unchanged: number } {
  const changes: RabbitChange[] = [];
  let unchanged = 0;
  const restore = rules.restore ?? rules.put;
  const liveByKey = new Map(live.map((t) => [rules.key(t), t]));
  const wanted = new Set(want.map(rules.key));
  const change = (c: Omit<RabbitChange, "broker" | "kind">): void => {
    changes.push({ broker: "rabbitmq", kind: rules.kind, ...c });
  };
  for (const w of want) {
    const l = liveByKey.get(rules.key(w));
    if (!l) {
      change({
        action: "create",
        name: rules.name(w),
        fields: [],
        ops: [rules.put(w)],
        undo: [rules.remove(w)],
      });
      continue;
    }
    const fields = rules.fields(l, w);
    if (fields.length === 0) unchanged++;
    else if (rules.migration)
      change({
        action: "replace",
        name: rules.name(w),
        fields,
        migration: rules.migration(l, w, fields),
        ops: [],
        undo: [],
      });
    else change({ action: "update", name: rules.name(w), fields, ops: [rules.put(w)], undo: [restore(l)] });
  }
  for (const l of live) {
    if (!wanted.has(rules.key(l)) && rules.deletable(l))
      change({
        action: "delete",
        name: rules.name(l),
        fields: [],
        ops: [rules.remove(l)],
        undo: [restore(l)],
      });
  }
  return { changes, unchanged };
}

const allFields = (a: Record<string, unknown>, d: Record<string, unknown>): FieldChange[] =>
  fieldChanges(a, d, [...new Set([...Object.keys(a), ...Object.keys(d)])]);

/** The changes that bring the broker to the desired state, kinds in an order that is safe to apply. */
export function planRabbit(input: RabbitPlanInput): { changes: RabbitChange[]; unchanged: number } {
  const { desired, actual } = input;
  const want = desired.definitions;
  const env = input.env ?? process.env;
  const managed = new Set(want.vhosts.map((v) => v.name));
  const specUsers = new Set(want.users.map((u) => u.name));
  const byVhostName = (t: { vhost: string; name: string }): string => `${t.vhost}\u0000${t.name}`;
  const existing = desired.existing;
  const userPut = (u: UserDefinition): RabbitOp => {
    const passwordEnv = desired.passwordEnv.get(u.name);
    return passwordEnv !== undefined
      ? { op: "put-user", name: u.name, tags: tagsOf(u), passwordEnv }
      : {
          op: "put-user",
          name: u.name,
          tags: tagsOf(u),
          passwordHash: u.password_hash,
          hashingAlgorithm: u.hashing_algorithm,
        };
  };

  const results = [
    // vhosts: created, never deleted (a spec that stops listing a vhost has not asked to wipe it).
    planKind<VhostDefinition>(
      {
        kind: "vhost",
        key: (v) => v.name,
        name: (v) => v.name,
        put: (v) => ({ op: "put-vhost", vhost: v }),
        remove: (v) => ({ op: "delete-vhost", name: v.name }),
        fields: () => [],
        deletable: () => false,
      },
      want.vhosts,
      actual.vhosts,
    ),
    // users: created or updated, never deleted. Passwords are compared by hash check, never shown.
    planKind<UserDefinition>(
      {
        kind: "user",
        key: (u) => u.name,
        name: (u) => u.name,
        put: userPut,
        restore: (u) => ({
          op: "put-user",
          name: u.name,
          tags: tagsOf(u),
          passwordHash: u.password_hash,
          hashingAlgorithm: u.hashing_algorithm,
        }),
        remove: (u) => ({ op: "delete-user", name: u.name }),
        fields: (live, u) => {
          const fields: FieldChange[] = [];
          if (!same(tagsOf(live), tagsOf(u)))
            fields.push({ field: "tags", from: tagsOf(live), to: tagsOf(u) });
          const passwordEnv = desired.passwordEnv.get(u.name);
          if (passwordEnv !== undefined) {
            const password = env[passwordEnv];
            if (password && !rabbitPasswordMatches(password, live.password_hash, live.hashing_algorithm))
              fields.push({ field: "password", from: "(another password)", to: `(from $${passwordEnv})` });
          } else if (
            live.password_hash !== u.password_hash ||
            live.hashing_algorithm !== u.hashing_algorithm
          ) {
            fields.push({ field: "password", from: "(another hash)", to: "(hash from the spec)" });
          }
          return fields;
        },
        deletable: () => false,
      },
      want.users,
      actual.users,
    ),
    // permissions: per (vhost, user); deleted only for the spec's users in the spec's vhosts.
    planKind<PermissionDefinition>(
      {
        kind: "permission",
        key: (p) => `${p.vhost}\u0000${p.user}`,
        name: (p) => `${p.vhost}: ${p.user}`,
        put: (p) => ({ op: "put-permission", permission: p }),
        remove: (p) => ({ op: "delete-permission", vhost: p.vhost, user: p.user }),
        fields: (l, p) => fieldChanges({ ...l }, { ...p }, ["configure", "write", "read"]),
        deletable: (l) => managed.has(l.vhost) && specUsers.has(l.user),
      },
      want.permissions,
      actual.permissions,
    ),
    // policies: changed in place.
    planKind<PolicyDefinition>(
      {
        kind: "policy",
        key: byVhostName,
        name: (p) => `${p.vhost}/${p.name}`,
        put: (p) => ({ op: "put-policy", policy: p }),
        remove: (p) => ({ op: "delete-policy", vhost: p.vhost, name: p.name }),
        fields: (l, p) => fieldChanges({ ...l }, { ...p }, ["pattern", "apply-to", "priority", "definition"]),
        deletable: (l) => managed.has(l.vhost),
      },
      want.policies,
      actual.policies,
    ),
    // exchanges: immutable once declared, so a difference is a replace.
    planKind<ExchangeDefinition>(
      {
        kind: "exchange",
        key: identity.exchange,
        name: (e) => `${e.vhost}/${e.name}`,
        put: (e) => ({ op: "put-exchange", exchange: e }),
        remove: (e) => ({ op: "delete-exchange", vhost: e.vhost, name: e.name }),
        fields: (l, e) => allFields(exchangeView(l), exchangeView(e)),
        migration: (l, _e, fields) =>
          exchangeMigration(
            l,
            fields.map((f) => f.field),
          ),
        deletable: (l) =>
          managed.has(l.vhost) && !isBuiltIn(l.name) && !existing.exchanges.has(byVhostName(l)),
      },
      want.exchanges,
      actual.exchanges,
    ),
    // queues: immutable too; deletes only remove empty queues (if-empty), so prune never drops messages.
    planKind<QueueDefinition>(
      {
        kind: "queue",
        key: identity.queue,
        name: (q) => `${q.vhost}/${q.name}`,
        put: (q) => ({ op: "put-queue", queue: q }),
        remove: (q) => ({ op: "delete-queue", vhost: q.vhost, name: q.name, ifEmpty: true }),
        fields: (l, q) => allFields(queueView(l), queueView(q)),
        migration: (l, q, fields) =>
          queueMigration(
            l,
            q,
            fields.map((f) => f.field),
            input.queueMessages?.get(identity.queue(q)),
          ),
        deletable: (l) => managed.has(l.vhost) && !isBuiltIn(l.name) && !existing.queues.has(byVhostName(l)),
      },
      want.queues,
      actual.queues,
    ),
    // bindings: identity is the whole binding, so they are only created or deleted.
    planKind<BindingDefinition>(
      {
        kind: "binding",
        key: identity.binding,
        name: bindingName,
        put: (b) => ({ op: "put-binding", binding: b }),
        remove: (b) => ({ op: "delete-binding", binding: b }),
        fields: () => [],
        deletable: (l) =>
          managed.has(l.vhost) &&
          l.source !== "" &&
          !existing.exchanges.has(`${l.vhost}\u0000${l.source}`) &&
          !(l.destination_type === "queue" && existing.queues.has(`${l.vhost}\u0000${l.destination}`)),
      },
      want.bindings,
      actual.bindings,
    ),
  ];
  return {
    changes: results.flatMap((r) => r.changes),
    unchanged: results.reduce((n, r) => n + r.unchanged, 0),
  };
}
