/** RabbitMQ policy rules: patterns that do not compile, match nothing, tie, or shadow each other. */
import { compilePattern, policyAppliesTo } from "../effective.js";
import { defsOf, effectiveQueues, policyRef, q, queueRef } from "./helpers.js";
import type { Rule, RuleHit } from "./rule.js";

export const invalidPattern: Rule = {
  id: "rmq-policy-invalid-pattern",
  title: "Policy pattern is not a valid regular expression",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The policy applies to nothing, so whatever it was meant to enforce (DLX, limits, TTL) is silently absent.",
  fix: "rabbitmqctl set_policy -p {vhost} {policy} '<valid regex>' '<definition>'",
  check(ctx) {
    return (defsOf(ctx)?.policies ?? [])
      .filter((p) => compilePattern(p.pattern) === null)
      .map((p) => ({
        ...policyRef(p),
        message: `policy ${p.name} pattern ${JSON.stringify(p.pattern)} does not compile`,
        params: { vhost: q(p.vhost), policy: q(p.name) },
      }));
  },
};

export const policyMatchesNothing: Rule = {
  id: "rmq-policy-matches-nothing",
  title: "Policy matches no queue or exchange",
  severity: "low",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Usually a typo in the pattern or apply-to: the settings someone believes are enforced are not.",
  fix: "check the pattern of {policy} against the queue names (patterns are unanchored regexes; apply-to must match the queue type)",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    return defs.policies
      .filter((p) => {
        const re = compilePattern(p.pattern);
        if (!re) return false;
        const q = defs.queues.some((x) => x.vhost === p.vhost && policyAppliesTo(p, x) && re.test(x.name));
        const e = defs.exchanges.some(
          (x) => x.vhost === p.vhost && policyAppliesTo(p, "exchange") && re.test(x.name),
        );
        return !q && !e;
      })
      .map((p) => ({
        ...policyRef(p),
        message: `policy ${p.name} (pattern ${JSON.stringify(p.pattern)}, apply-to ${p.applyTo}) matches nothing`,
        params: { policy: p.name },
      }));
  },
};

export const policyPriorityTie: Rule = {
  id: "rmq-policy-priority-tie",
  title: "Two policies of equal priority match the same queue",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Only one policy applies per queue; with a tie which one wins is not defined, and can change between nodes or after a restart.",
  fix: "rabbitmqctl set_policy -p {vhost} {policy} ... --priority <higher>   # make the intended one win explicitly",
  check(ctx) {
    const out: RuleHit[] = [];
    for (const e of effectiveQueues(ctx)) {
      const [a, b] = e.matchingPolicies;
      if (!a || !b || a.priority !== b.priority) continue;
      // When the tie decides whether the queue has a DLX, it decides whether rejected, expired and
      // overflowing messages are dead-lettered or dropped: a message-loss finding, not housekeeping.
      const dlx = (p: typeof a): unknown => p.definition["dead-letter-exchange"];
      const decidesDlx = dlx(a) !== dlx(b);
      out.push({
        ...queueRef(e.queue),
        ...(decidesDlx ? { severity: "high" as const, category: "message-loss" as const } : {}),
        message: `queue ${e.queue.name} matches policies ${a.name} and ${b.name}, both priority ${a.priority}${
          decidesDlx
            ? `; only ${dlx(a) !== undefined ? a.name : b.name} sets a dead-letter-exchange, so whether its rejected and expired messages are dead-lettered or dropped depends on which one wins`
            : ""
        }`,
        params: { vhost: q(e.queue.vhost), policy: q(dlx(a) !== undefined || !decidesDlx ? a.name : b.name) },
      });
    }
    return out;
  },
};

export const policyShadowed: Rule = {
  id: "rmq-policy-shadowed",
  title: "A lower-priority policy's settings are not applied",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "RabbitMQ applies exactly one policy per queue; keys of lower-priority matching policies are ignored, not merged. A catch-all DLX or length-limit policy is silently lost on every queue a more specific policy matches.",
  fix: "copy the missing keys into {winner}: rabbitmqctl set_policy -p {vhost} {winner} ... '{merged}'",
  check(ctx) {
    const out: RuleHit[] = [];
    for (const e of effectiveQueues(ctx)) {
      const [winner, ...losers] = e.matchingPolicies;
      if (!winner) continue;
      for (const l of losers) {
        if (l.priority === winner.priority) continue; // a tie: rmq-policy-priority-tie reports it
        const lost = Object.keys(l.definition).filter((k) => !(k in winner.definition));
        if (lost.length === 0) continue;
        out.push({
          ...queueRef(e.queue),
          message: `queue ${e.queue.name}: policy ${winner.name} (priority ${winner.priority}) wins, so ${lost.join(", ")} from ${l.name} (priority ${l.priority}) do not apply`,
          params: {
            vhost: q(e.queue.vhost),
            winner: q(winner.name),
            merged: JSON.stringify({
              ...Object.fromEntries(lost.map((k) => [k, l.definition[k]])),
              ...winner.definition,
            }),
          },
        });
      }
    }
    return out;
  },
};

export const rabbitmqPolicyRules: Rule[] = [
  invalidPattern,
  policyMatchesNothing,
  policyPriorityTie,
  policyShadowed,
];
