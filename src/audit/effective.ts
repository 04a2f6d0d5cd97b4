/**
 * Effective queue settings: queue arguments + the highest-priority matching policy + the matching operator
 * policy, resolved the way RabbitMQ does it. Real brokers hide most settings in policies, so a rule that only
 * read `x-` arguments would miss them (and a rule that only read policies would miss shadowed ones).
 *
 * Resolution (rabbit_amqqueue_process / rabbit_quorum_queue): only ONE user policy applies (highest
 * priority; policies never merge). An operator policy merges with it: for numeric limits the smaller value
 * wins, otherwise the operator's. Between a queue argument and the policy value: limits (ttl, expires,
 * lengths, delivery-limit) take the smaller; everything else prefers the argument.
 */
import type { RabbitDeclarations, RabbitExchange, RabbitPolicy, RabbitQueue } from "./model.js";

/** Keys where the smaller of argument and policy wins. */
const MIN_KEYS = new Set([
  "message-ttl",
  "expires",
  "max-length",
  "max-length-bytes",
  "delivery-limit",
  "max-in-memory-length",
  "max-in-memory-bytes",
]);

export interface EffectiveValue {
  value: unknown;
  /** Where it came from, e.g. `argument x-message-ttl` or `policy ttl-all`. */
  from: string;
}

export interface EffectiveQueue {
  queue: RabbitQueue;
  policy: RabbitPolicy | undefined;
  operatorPolicy: RabbitPolicy | undefined;
  /** Every user policy that matches, best first (the first is `policy`). */
  matchingPolicies: RabbitPolicy[];
  /** Queues the winning policy applies to (1 = only this one; 0 = no policy), counted by {@link effectiveQueues}. */
  policyScope: number;
  settings: Map<string, EffectiveValue>;
}

export interface EffectiveExchange {
  exchange: RabbitExchange;
  policy: RabbitPolicy | undefined;
  settings: Map<string, EffectiveValue>;
}

const regexCache = new Map<string, RegExp | null>();

/** Compile a policy pattern; `null` when it is not a valid regular expression. */
export function compilePattern(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    try {
      regexCache.set(pattern, new RegExp(pattern));
    } catch {
      regexCache.set(pattern, null);
    }
  }
  return regexCache.get(pattern) ?? null;
}

/** Does `policy` apply to a queue of this type / to an exchange? */
export function policyAppliesTo(policy: RabbitPolicy, target: RabbitQueue | "exchange"): boolean {
  switch (policy.applyTo) {
    case "all":
      return true;
    case "exchanges":
      return target === "exchange";
    case "queues":
      return target !== "exchange";
    case "classic_queues":
      return target !== "exchange" && target.type === "classic";
    case "quorum_queues":
      return target !== "exchange" && target.type === "quorum";
    case "streams":
      return target !== "exchange" && target.type === "stream";
  }
}

function byPriority(a: RabbitPolicy, b: RabbitPolicy): number {
  return b.priority - a.priority || a.name.localeCompare(b.name);
}

/** Policies (user or operator) matching a resource, highest priority first. */
export function matchingPolicies(
  policies: readonly RabbitPolicy[],
  vhost: string,
  name: string,
  target: RabbitQueue | "exchange",
  operator: boolean,
): RabbitPolicy[] {
  return policies
    .filter((p) => p.operator === operator && p.vhost === vhost && policyAppliesTo(p, target))
    .filter((p) => compilePattern(p.pattern)?.test(name) ?? false)
    .sort(byPriority);
}

function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Merge user and operator policy definitions (operator: min for numbers, else override). */
function policyValues(
  user: RabbitPolicy | undefined,
  op: RabbitPolicy | undefined,
): Map<string, EffectiveValue> {
  const out = new Map<string, EffectiveValue>();
  for (const [k, v] of Object.entries(user?.definition ?? {}))
    out.set(k, { value: v, from: `policy ${user!.name}` });
  for (const [k, v] of Object.entries(op?.definition ?? {})) {
    const existing = out.get(k);
    const from = `operator policy ${op!.name}`;
    if (existing && MIN_KEYS.has(k) && isNumber(existing.value) && isNumber(v)) {
      if (v < existing.value) out.set(k, { value: v, from });
    } else out.set(k, { value: v, from });
  }
  return out;
}

/** Compute a queue's effective settings, keyed without the `x-` prefix (e.g. `dead-letter-exchange`). */
export function effectiveQueue(defs: RabbitDeclarations, queue: RabbitQueue): EffectiveQueue {
  const users = matchingPolicies(defs.policies, queue.vhost, queue.name, queue, false);
  const ops = matchingPolicies(defs.policies, queue.vhost, queue.name, queue, true);
  const policy = users[0];
  const operatorPolicy = ops[0];
  const settings = policyValues(policy, operatorPolicy);
  for (const [rawKey, value] of Object.entries(queue.arguments)) {
    const key = rawKey.startsWith("x-") ? rawKey.slice(2) : rawKey;
    const fromPolicy = settings.get(key);
    const arg = { value, from: `argument ${rawKey}` };
    if (fromPolicy && MIN_KEYS.has(key) && isNumber(fromPolicy.value) && isNumber(value)) {
      if (value < fromPolicy.value) settings.set(key, arg);
    } else settings.set(key, arg);
  }
  return { queue, policy, operatorPolicy, matchingPolicies: users, policyScope: policy ? 1 : 0, settings };
}

/** Effective settings of every queue, with each winning policy's scope counted once (linear, not per queue). */
export function effectiveQueues(defs: RabbitDeclarations): EffectiveQueue[] {
  const list = defs.queues.map((q) => effectiveQueue(defs, q));
  const scope = new Map<RabbitPolicy, number>();
  for (const e of list) if (e.policy) scope.set(e.policy, (scope.get(e.policy) ?? 0) + 1);
  for (const e of list) e.policyScope = e.policy ? (scope.get(e.policy) ?? 1) : 0;
  return list;
}

/** Compute an exchange's effective settings (alternate-exchange from argument or policy). */
export function effectiveExchange(defs: RabbitDeclarations, exchange: RabbitExchange): EffectiveExchange {
  const policy = matchingPolicies(defs.policies, exchange.vhost, exchange.name, "exchange", false)[0];
  const settings = policyValues(policy, undefined);
  for (const [k, v] of Object.entries(exchange.arguments))
    settings.set(k, { value: v, from: `argument ${k}` });
  return { exchange, policy, settings };
}

/** Numeric setting or undefined. */
export function numberSetting(q: EffectiveQueue, key: string): number | undefined {
  const v = q.settings.get(key)?.value;
  return isNumber(v) ? v : undefined;
}

/** String setting or undefined. */
export function stringSetting(q: EffectiveQueue, key: string): string | undefined {
  const v = q.settings.get(key)?.value;
  return typeof v === "string" ? v : undefined;
}

/** `value (from policy x)` for messages. */
export function describe(q: EffectiveQueue, key: string): string {
  const s = q.settings.get(key);
  return s ? `${key}=${JSON.stringify(s.value)} (${s.from})` : `${key} unset`;
}
