/**
 * AMQP 0-9-1 carries exchange names, queue names and routing keys as short strings: at most 255 bytes of
 * UTF-8. A longer one makes amqplib throw "Field 'exchange' is the wrong type" mid-declaration (leaving
 * what was declared before it) or mid-publish, so every name is checked before anything is sent.
 */
import { InvalidOptionsError } from "../../core/errors.js";
import type { TopologyPlan } from "./topology-plan.js";

/** Longest AMQP short string, bytes. */
export const MAX_SHORT_STRING_BYTES = 255;

/** Queue arguments whose values travel as names (the broker checks them as such). */
const NAME_ARGUMENTS = ["x-dead-letter-exchange", "x-dead-letter-routing-key"] as const;

/** One name the broker cannot take: the field, the name, its length in bytes. */
export interface NameProblem {
  readonly field: string;
  readonly name: string;
  readonly bytes: number;
}

/** The problem with `name` as an AMQP short string, if any. */
export function nameProblem(field: string, name: string): NameProblem | undefined {
  const bytes = Buffer.byteLength(name, "utf8");
  return bytes > MAX_SHORT_STRING_BYTES ? { field, name, bytes } : undefined;
}

/** Every name of `plan` (exchanges, queues, bindings, name-valued arguments) the broker cannot take. */
export function planNameProblems(plan: TopologyPlan): NameProblem[] {
  const found: (NameProblem | undefined)[] = [];
  for (const e of plan.exchanges) found.push(nameProblem("exchange", e.name));
  for (const q of plan.queues) {
    found.push(nameProblem("queue", q.name));
    for (const arg of NAME_ARGUMENTS) {
      const v = q.arguments[arg];
      if (typeof v === "string") found.push(nameProblem(`queue '${short(q.name)}' argument ${arg}`, v));
    }
  }
  for (const b of plan.bindings) {
    found.push(nameProblem("binding source", b.source));
    found.push(nameProblem("binding destination", b.destination));
    found.push(
      nameProblem(`binding routing key (${short(b.source)} → ${short(b.destination)})`, b.routingKey),
    );
  }
  for (const e of plan.passive?.exchanges ?? []) found.push(nameProblem("exchange", e));
  for (const q of plan.passive?.queues ?? []) found.push(nameProblem("queue", q));
  const seen = new Set<string>();
  return found.filter((p): p is NameProblem => {
    if (!p) return false;
    const key = `${p.field}\u0000${p.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Throw `invalid-options` naming every over-long name of `plan`; nothing has been declared yet. */
export function assertPlanNames(plan: TopologyPlan): void {
  const problems = planNameProblems(plan);
  if (problems.length === 0) return;
  throw new InvalidOptionsError(
    `RabbitMQ takes names of at most ${MAX_SHORT_STRING_BYTES} bytes (UTF-8); nothing was declared: ` +
      problems.map(describe).join("; ") +
      ". Use shorter topic, group or queue names (a group's queue is '<topic>.<group>', and its delay route " +
      "adds 56 bytes to it)",
    { details: { problems: problems.map((p) => ({ field: p.field, bytes: p.bytes, name: short(p.name) })) } },
  );
}

/** Throw `invalid-options` when a publish's exchange or routing key is over-long (nothing was sent). */
export function assertPublishNames(exchange: string, routingKey: string): void {
  const problem = nameProblem("exchange", exchange) ?? nameProblem("routing key", routingKey);
  if (!problem) return;
  throw new InvalidOptionsError(
    `cannot publish: ${describe(problem)}; RabbitMQ takes at most ${MAX_SHORT_STRING_BYTES} bytes (UTF-8), ` +
      "so the message was not sent. Use a shorter key or topic",
    { details: { field: problem.field, bytes: problem.bytes, name: short(problem.name) } },
  );
}

function describe(p: NameProblem): string {
  return `${p.field} '${short(p.name)}' is ${p.bytes} bytes`;
}

/** A long name shortened for messages: its start and end. */
function short(name: string): string {
  return name.length <= 80 ? name : `${name.slice(0, 40)}…${name.slice(-30)}`;
}
