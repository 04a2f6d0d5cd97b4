/**
 * Desired definitions (from a spec) against live definitions → the changes that make the broker match.
 * Scope: the vhosts the spec declares (and the users it declares); nothing else on the broker is touched.
 */
import type {
  BindingDefinition,
  ExchangeDefinition,
  QueueDefinition,
  RabbitDefinitions,
  UserDefinition,
} from "./definitions.js";
import { queueType } from "./definitions.js";
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

/** The changes that bring the broker to the desired state. */
export function planRabbit(input: RabbitPlanInput): { changes: RabbitChange[]; unchanged: number } {
  const { desired, actual } = input;
  const want = desired.definitions;
  const env = input.env ?? process.env;
  const managed = new Set(want.vhosts.map((v) => v.name));
  const changes: RabbitChange[] = [];
  let unchanged = 0;
  const add = (c: Omit<RabbitChange, "broker">): void => {
    changes.push({ broker: "rabbitmq", ...c });
  };

  // vhosts: created, never deleted (a spec that stops listing a vhost has not asked to wipe it).
  const liveVhosts = new Set(actual.vhosts.map((v) => v.name));
  for (const v of want.vhosts) {
    if (liveVhosts.has(v.name)) unchanged++;
    else
      add({
        action: "create",
        kind: "vhost",
        name: v.name,
        fields: [],
        ops: [{ op: "put-vhost", vhost: v }],
        undo: [{ op: "delete-vhost", name: v.name }],
      });
  }

  // users: created or updated, never deleted. Passwords are compared by hash check, never shown.
  const liveUsers = new Map(actual.users.map((u) => [u.name, u]));
  for (const u of want.users) {
    const live = liveUsers.get(u.name);
    const passwordEnv = desired.passwordEnv.get(u.name);
    const put: RabbitOp =
      passwordEnv !== undefined
        ? { op: "put-user", name: u.name, tags: tagsOf(u), passwordEnv }
        : {
            op: "put-user",
            name: u.name,
            tags: tagsOf(u),
            passwordHash: u.password_hash,
            hashingAlgorithm: u.hashing_algorithm,
          };
    if (!live) {
      add({
        action: "create",
        kind: "user",
        name: u.name,
        fields: [],
        ops: [put],
        undo: [{ op: "delete-user", name: u.name }],
      });
      continue;
    }
    const fields: FieldChange[] = [];
    if (!same(tagsOf(live), tagsOf(u))) fields.push({ field: "tags", from: tagsOf(live), to: tagsOf(u) });
    if (passwordEnv !== undefined) {
      const password = env[passwordEnv];
      if (password && !rabbitPasswordMatches(password, live.password_hash, live.hashing_algorithm))
        fields.push({ field: "password", from: "(another password)", to: `(from $${passwordEnv})` });
    } else if (live.password_hash !== u.password_hash || live.hashing_algorithm !== u.hashing_algorithm) {
      fields.push({ field: "password", from: "(another hash)", to: "(hash from the spec)" });
    }
    if (fields.length === 0) unchanged++;
    else
      add({
        action: "update",
        kind: "user",
        name: u.name,
        fields,
        ops: [put],
        undo: [
          {
            op: "put-user",
            name: live.name,
            tags: tagsOf(live),
            passwordHash: live.password_hash,
            hashingAlgorithm: live.hashing_algorithm,
          },
        ],
      });
  }

  // permissions: per (vhost, user); deleted only for the spec's users in the spec's vhosts.
  const permKey = (p: { vhost: string; user: string }): string => `${p.vhost}\u0000${p.user}`;
  const livePerms = new Map(actual.permissions.map((p) => [permKey(p), p]));
  const wantPerms = new Set(want.permissions.map(permKey));
  for (const p of want.permissions) {
    const live = livePerms.get(permKey(p));
    const name = `${p.vhost}: ${p.user}`;
    if (!live) {
      add({
        action: "create",
        kind: "permission",
        name,
        fields: [],
        ops: [{ op: "put-permission", permission: p }],
        undo: [{ op: "delete-permission", vhost: p.vhost, user: p.user }],
      });
      continue;
    }
    const fields = fieldChanges({ ...live }, { ...p }, ["configure", "write", "read"]);
    if (fields.length === 0) unchanged++;
    else
      add({
        action: "update",
        kind: "permission",
        name,
        fields,
        ops: [{ op: "put-permission", permission: p }],
        undo: [{ op: "put-permission", permission: live }],
      });
  }
  const specUsers = new Set(want.users.map((u) => u.name));
  for (const live of actual.permissions) {
    if (managed.has(live.vhost) && specUsers.has(live.user) && !wantPerms.has(permKey(live)))
      add({
        action: "delete",
        kind: "permission",
        name: `${live.vhost}: ${live.user}`,
        fields: [],
        ops: [{ op: "delete-permission", vhost: live.vhost, user: live.user }],
        undo: [{ op: "put-permission", permission: live }],
      });
  }

  // policies: changed in place.
  const polKey = (p: { vhost: string; name: string }): string => `${p.vhost}\u0000${p.name}`;
  const livePolicies = new Map(actual.policies.map((p) => [polKey(p), p]));
  const wantPolicies = new Set(want.policies.map(polKey));
  for (const p of want.policies) {
    const live = livePolicies.get(polKey(p));
    const name = `${p.vhost}/${p.name}`;
    if (!live) {
      add({
        action: "create",
        kind: "policy",
        name,
        fields: [],
        ops: [{ op: "put-policy", policy: p }],
        undo: [{ op: "delete-policy", vhost: p.vhost, name: p.name }],
      });
      continue;
    }
    const fields = fieldChanges({ ...live }, { ...p }, ["pattern", "apply-to", "priority", "definition"]);
    if (fields.length === 0) unchanged++;
    else
      add({
        action: "update",
        kind: "policy",
        name,
        fields,
        ops: [{ op: "put-policy", policy: p }],
        undo: [{ op: "put-policy", policy: live }],
      });
  }
  for (const live of actual.policies) {
    if (managed.has(live.vhost) && !wantPolicies.has(polKey(live)))
      add({
        action: "delete",
        kind: "policy",
        name: `${live.vhost}/${live.name}`,
        fields: [],
        ops: [{ op: "delete-policy", vhost: live.vhost, name: live.name }],
        undo: [{ op: "put-policy", policy: live }],
      });
  }

  // exchanges: immutable once declared, so a difference is a replace.
  const liveExchanges = new Map(actual.exchanges.map((e) => [identity.exchange(e), e]));
  const wantExchanges = new Set(want.exchanges.map(identity.exchange));
  for (const e of want.exchanges) {
    const live = liveExchanges.get(identity.exchange(e));
    const name = `${e.vhost}/${e.name}`;
    if (!live) {
      add({
        action: "create",
        kind: "exchange",
        name,
        fields: [],
        ops: [{ op: "put-exchange", exchange: e }],
        undo: [{ op: "delete-exchange", vhost: e.vhost, name: e.name }],
      });
      continue;
    }
    const a = exchangeView(live);
    const d = exchangeView(e);
    const fields = fieldChanges(a, d, [...new Set([...Object.keys(a), ...Object.keys(d)])]);
    if (fields.length === 0) unchanged++;
    else
      add({
        action: "replace",
        kind: "exchange",
        name,
        fields,
        migration: exchangeMigration(
          live,
          fields.map((f) => f.field),
        ),
        ops: [],
        undo: [],
      });
  }
  for (const live of actual.exchanges) {
    if (managed.has(live.vhost) && !isBuiltIn(live.name) && !wantExchanges.has(identity.exchange(live)))
      add({
        action: "delete",
        kind: "exchange",
        name: `${live.vhost}/${live.name}`,
        fields: [],
        ops: [{ op: "delete-exchange", vhost: live.vhost, name: live.name }],
        undo: [{ op: "put-exchange", exchange: live }],
      });
  }

  // queues: immutable too; deletes only remove empty queues (if-empty), so prune never drops messages.
  const liveQueues = new Map(actual.queues.map((q) => [identity.queue(q), q]));
  const wantQueues = new Set(want.queues.map(identity.queue));
  for (const q of want.queues) {
    const live = liveQueues.get(identity.queue(q));
    const name = `${q.vhost}/${q.name}`;
    if (!live) {
      add({
        action: "create",
        kind: "queue",
        name,
        fields: [],
        ops: [{ op: "put-queue", queue: q }],
        undo: [{ op: "delete-queue", vhost: q.vhost, name: q.name, ifEmpty: true }],
      });
      continue;
    }
    const a = queueView(live);
    const d = queueView(q);
    const fields = fieldChanges(a, d, [...new Set([...Object.keys(a), ...Object.keys(d)])]);
    if (fields.length === 0) unchanged++;
    else
      add({
        action: "replace",
        kind: "queue",
        name,
        fields,
        migration: queueMigration(
          live,
          q,
          fields.map((f) => f.field),
          input.queueMessages?.get(identity.queue(q)),
        ),
        ops: [],
        undo: [],
      });
  }
  for (const live of actual.queues) {
    if (managed.has(live.vhost) && !isBuiltIn(live.name) && !wantQueues.has(identity.queue(live)))
      add({
        action: "delete",
        kind: "queue",
        name: `${live.vhost}/${live.name}`,
        fields: [],
        ops: [{ op: "delete-queue", vhost: live.vhost, name: live.name, ifEmpty: true }],
        undo: [{ op: "put-queue", queue: live }],
      });
  }

  // bindings: identity is the whole binding, so they are only created or deleted.
  const liveBindings = new Set(actual.bindings.map(identity.binding));
  const wantBindings = new Set(want.bindings.map(identity.binding));
  for (const b of want.bindings) {
    if (liveBindings.has(identity.binding(b))) unchanged++;
    else
      add({
        action: "create",
        kind: "binding",
        name: bindingName(b),
        fields: [],
        ops: [{ op: "put-binding", binding: b }],
        undo: [{ op: "delete-binding", binding: b }],
      });
  }
  for (const live of actual.bindings) {
    if (managed.has(live.vhost) && live.source !== "" && !wantBindings.has(identity.binding(live)))
      add({
        action: "delete",
        kind: "binding",
        name: bindingName(live),
        fields: [],
        ops: [{ op: "delete-binding", binding: live }],
        undo: [{ op: "put-binding", binding: live }],
      });
  }
  return { changes, unchanged };
}
