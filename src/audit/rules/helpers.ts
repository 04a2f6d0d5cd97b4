/** Shared helpers for RabbitMQ rules: effective queues (cached per model), labels, routing. */
import {
  effectiveExchange,
  effectiveQueues as computeEffectiveQueues,
  numberSetting,
  stringSetting,
} from "../effective.js";
import type { EffectiveExchange, EffectiveQueue } from "../effective.js";
import type { FindingLocation } from "../finding.js";
import type { RabbitDeclarations, RabbitExchange, RabbitQueue } from "../model.js";
import { declarationIndex } from "./declaration-index.js";
import { releaseSeries } from "./release-support.js";
import type { RuleContext, RuleHit } from "./rule.js";

const queueCache = new WeakMap<RabbitDeclarations, EffectiveQueue[]>();
const exchangeCache = new WeakMap<RabbitDeclarations, EffectiveExchange[]>();

/** Definitions of the model, or undefined for a Redis-only audit. */
export function defsOf(ctx: RuleContext): RabbitDeclarations | undefined {
  return ctx.model.rabbit?.definitions;
}

/**
 * True when the audited release is known and older than `major.minor`: a rule about a feature that release
 * does not have (vhost limits before 3.7, length limits before 3.1) has nothing to say about it.
 */
export function releaseBefore(ctx: RuleContext, major: number, minor: number): boolean {
  const v = ctx.model.rabbit?.live?.rabbitmqVersion ?? defsOf(ctx)?.rabbitVersion;
  const s = v === undefined ? undefined : releaseSeries(v);
  return s !== undefined && (s.major < major || (s.major === major && s.minor < minor));
}

/** Every queue with its effective settings (computed once per model). */
export function effectiveQueues(ctx: RuleContext): EffectiveQueue[] {
  const defs = defsOf(ctx);
  if (!defs) return [];
  let list = queueCache.get(defs);
  if (!list) {
    list = computeEffectiveQueues(defs);
    queueCache.set(defs, list);
  }
  return list;
}

/** Every exchange with its effective settings. */
export function effectiveExchanges(ctx: RuleContext): EffectiveExchange[] {
  const defs = defsOf(ctx);
  if (!defs) return [];
  let list = exchangeCache.get(defs);
  if (!list) {
    list = defs.exchanges.map((e) => effectiveExchange(defs, e));
    exchangeCache.set(defs, list);
  }
  return list;
}

/**
 * A work queue holds messages someone must process: not exclusive, not server-named (`amq.gen-*`).
 * Exclusive and server-named queues belong to one connection and are meant to vanish with it.
 */
export function isWorkQueue(q: RabbitQueue): boolean {
  return !q.exclusive && !q.name.startsWith("amq.");
}

/** Names of queues some other queue dead-letters into (directly or through its DLX's bindings). */
const dlTargetCache = new WeakMap<RabbitDeclarations, Set<string>>();

export function deadLetterTargets(ctx: RuleContext): Set<string> {
  const defs = defsOf(ctx);
  if (!defs) return new Set();
  const cached = dlTargetCache.get(defs);
  if (cached) return cached;
  const out = new Set<string>();
  dlTargetCache.set(defs, out);
  // Many queues share one DLX (mqa.dlx): its bindings are followed once, not once per queue.
  const followed = new Set<string>();
  for (const eq of effectiveQueues(ctx)) {
    const dlx = stringSetting(eq, "dead-letter-exchange");
    if (dlx === undefined) continue;
    const rk = stringSetting(eq, "dead-letter-routing-key");
    if (dlx === "" && rk) out.add(`${eq.queue.vhost}\u0000${rk}`);
    const k = `${eq.queue.vhost}\u0000${dlx}`;
    if (followed.has(k)) continue;
    followed.add(k);
    for (const b of declarationIndex(defs).bindingsFrom(eq.queue.vhost, dlx))
      if (b.destinationType === "queue") out.add(`${b.vhost}\u0000${b.destination}`);
  }
  return out;
}

/** A dead-letter / parking queue: the target of a DLX, or named like one. */
export function isDeadLetterQueue(ctx: RuleContext, q: RabbitQueue): boolean {
  return (
    deadLetterTargets(ctx).has(`${q.vhost}\u0000${q.name}`) ||
    /(^|[.\-_:])(dlq|dead|dead-letter|deadletter|parking|dl)($|[.\-_:])/i.test(q.name)
  );
}

/** `vhost <vhost> queue <name>` label (e.g. "vhost / queue orders") and its logical location. */
export function queueRef(
  q: { vhost: string; name: string },
  kind = "queue",
): Pick<RuleHit, "resource" | "location"> {
  const location: FindingLocation = { kind, name: `${q.vhost}/${q.name}` };
  return { resource: `vhost ${q.vhost} ${kind} ${q.name}`, location };
}

export function exchangeRef(e: { vhost: string; name: string }): Pick<RuleHit, "resource" | "location"> {
  return queueRef(e, "exchange");
}

export function userRef(name: string): Pick<RuleHit, "resource" | "location"> {
  return { resource: `user ${name}`, location: { kind: "user", name } };
}

export function policyRef(p: {
  vhost: string;
  name: string;
  operator?: boolean;
}): Pick<RuleHit, "resource" | "location"> {
  return queueRef(p, p.operator ? "operator-policy" : "policy");
}

/** Shell-quote for fix snippets. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** A regex that matches exactly `name`, for a policy pattern in a fix snippet. */
export function exactPattern(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split(".");
  const k = key.split(".");
  const go = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") return go(i + 1, j) || (j < k.length && go(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === "*" || p[i] === k[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/**
 * Could a message published to `exchange` with `routingKey` (unknown → any key) reach a queue?
 * Follows exchange-to-exchange bindings and alternate exchanges; unknown exchange types count as routing.
 */
export function routesSomewhere(
  defs: RabbitDeclarations,
  vhost: string,
  exchange: string,
  routingKey: string | undefined,
  depth = 0,
): boolean {
  if (depth > 8) return true;
  const index = declarationIndex(defs);
  if (exchange === "") return routingKey !== undefined && index.queue(vhost, routingKey) !== undefined;
  const ex: RabbitExchange | undefined = index.exchange(vhost, exchange);
  if (!ex) return false;
  // A direct exchange matches the key exactly: look it up rather than test every binding.
  const bindings =
    ex.type === "direct" && routingKey !== undefined
      ? index.bindingsWithKey(vhost, exchange, routingKey)
      : index.bindingsFrom(vhost, exchange);
  const matching = bindings.filter((b) => {
    if (routingKey === undefined || ex.type === "fanout" || ex.type === "headers") return true;
    if (ex.type === "direct") return b.routingKey === routingKey;
    if (ex.type === "topic") return topicMatches(b.routingKey, routingKey);
    return true;
  });
  for (const b of matching) {
    if (b.destinationType === "queue") {
      if (index.queue(vhost, b.destination) !== undefined) return true;
    } else if (routesSomewhere(defs, vhost, b.destination, routingKey, depth + 1)) return true;
  }
  const ae = ex.arguments["alternate-exchange"];
  if (typeof ae === "string" && ae !== exchange)
    return routesSomewhere(defs, vhost, ae, routingKey, depth + 1);
  return false;
}

export function exchangeExists(defs: RabbitDeclarations, vhost: string, name: string): boolean {
  // The default exchange and the amq.* ones exist in every vhost even when definitions omit them.
  return (
    name === "" ||
    /^amq\.(direct|fanout|topic|headers|match|rabbitmq\.trace)$/.test(name) ||
    declarationIndex(defs).exchange(vhost, name) !== undefined
  );
}

/**
 * A `rabbitmqctl set_policy` line that adds `add` to the queue's settings. Policies never merge, so:
 * - no policy applies: a new policy for exactly this queue;
 * - the winning policy applies to this queue only: extend THAT policy (same name, pattern, priority);
 * - the winning policy is shared: a new exact policy one priority higher that copies the shared policy's
 *   keys, so this queue keeps them and no other queue changes.
 */
export function policyFix(e: EffectiveQueue, add: Record<string, unknown>, remove: string[] = []): string {
  const p = e.policy;
  const def: Record<string, unknown> = { ...(p?.definition ?? {}), ...add };
  for (const k of remove) delete def[k];
  const own = p !== undefined && e.policyScope <= 1;
  const name = own ? p.name : `${e.queue.name}-policy`;
  const pattern = own ? p.pattern : exactPattern(e.queue.name);
  const applyTo = own ? p.applyTo : "queues";
  const priority = own ? p.priority : p ? p.priority + 1 : 10;
  const line = `rabbitmqctl set_policy -p ${q(e.queue.vhost)} ${q(name)} ${q(pattern)} ${q(JSON.stringify(def))} --apply-to ${applyTo} --priority ${priority}`;
  return p && !own
    ? `${line}\n# copies the keys of shared policy ${p.name} (policies do not merge), so other queues are unchanged`
    : line;
}

/** How to remove a setting: depends on whether it came from an argument or a policy. */
export function removalFix(e: EffectiveQueue, key: string): string {
  const from = e.settings.get(key)?.from ?? "";
  if (from.startsWith("argument"))
    return `redeclare ${e.queue.name} without x-${key} (arguments cannot change in place: new queue, move consumers, delete the old one)`;
  if (from.startsWith("operator")) return `ask the operator to drop "${key}" from ${from}`;
  const p = e.policy;
  if (!p) return `remove ${key}`;
  // Removing a key is edited where it lives: the winning policy, for every queue it matches.
  const def = { ...p.definition };
  delete def[key];
  const line = `rabbitmqctl set_policy -p ${q(p.vhost)} ${q(p.name)} ${q(p.pattern)} ${q(JSON.stringify(def))} --apply-to ${p.applyTo} --priority ${p.priority}`;
  return e.policyScope > 1 ? `${line}\n# policy ${p.name} applies to ${e.policyScope} queues` : line;
}

/**
 * A delay queue: messages leave it by expiring (message-ttl) into its DLX, and nobody consumes it (when
 * live facts are known), so no delivery loop can happen there. mqa's own delay levels are such queues.
 */
export function isDelayQueue(ctx: RuleContext, e: EffectiveQueue): boolean {
  if (numberSetting(e, "message-ttl") === undefined || stringSetting(e, "dead-letter-exchange") === undefined)
    return false;
  const live = ctx.model.rabbit?.live?.queues.find(
    (q) => q.vhost === e.queue.vhost && q.name === e.queue.name,
  );
  return live === undefined || live.consumers === 0;
}
