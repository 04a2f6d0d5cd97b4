/** What a plan is: a list of changes, each with the operations that make it and those that undo it. */
import type { RabbitOp } from "./rabbit-ops.js";
import type { RedisOp } from "./redis-ops.js";

/**
 * - `create`: missing on the broker; `update`: changed in place;
 * - `replace`: the broker cannot change it in place (queue arguments, exchange type): never applied
 *   automatically, `migration` lists the safe steps;
 * - `delete`: on the broker, in a scope the spec manages, but not in the spec (applied only with `prune`).
 */
export type ChangeAction = "create" | "update" | "replace" | "delete";

export interface FieldChange {
  field: string;
  /** Live value (`undefined` when absent). Secrets are replaced by a description. */
  from: unknown;
  /** Spec value. */
  to: unknown;
}

interface ChangeBase {
  action: ChangeAction;
  /** `queue`, `exchange`, `binding`, `policy`, `user`, `permission`, `vhost`, `stream`, `group`, `retention`. */
  kind: string;
  /** Human name, e.g. `shop/orders.billing` or `shop: orders → orders.billing (#)`. */
  name: string;
  fields: FieldChange[];
  /** For `replace`: how to get there without losing messages. */
  migration?: string[];
}

export interface RabbitChange extends ChangeBase {
  broker: "rabbitmq";
  /** What applying does. Empty for `replace`. */
  ops: RabbitOp[];
  /** What undoes it, from the live state before the change. */
  undo: RabbitOp[];
}

export interface RedisChange extends ChangeBase {
  broker: "redis";
  ops: RedisOp[];
  undo: RedisOp[];
}

export type Change = RabbitChange | RedisChange;

/** A plan for one broker. */
export interface Plan {
  broker: "rabbitmq" | "redis";
  /** The broker URL, password masked. */
  target: string;
  changes: Change[];
  /** How many declared resources already match. */
  unchanged: number;
}

/** The plan without operations: what `plan --json` prints (no password hashes). */
export function publicPlan(plan: Plan): {
  broker: string;
  target: string;
  unchanged: number;
  changes: Omit<Change, "ops" | "undo">[];
} {
  return {
    broker: plan.broker,
    target: plan.target,
    unchanged: plan.unchanged,
    changes: plan.changes.map(({ ops: _ops, undo: _undo, ...rest }) => rest),
  };
}
