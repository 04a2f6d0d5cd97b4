/**
 * The fault plan of a verify run, drawn from its seed: which messages are poison, and at which
 * points of progress (0..1 of published + consumed work) which fault strikes which consumer.
 * The same seed gives the same plan; the broker's timing decides the exact interleaving.
 */
import { randomInt, seededRandom } from "./prng.js";

/**
 * Faults `mqa verify` can inject (`all`). The last three need a private cluster (`--cluster`): `kill-leader` a
 * RabbitMQ one, `kill-primary` and `move-slot` a Redis Cluster.
 */
export const FAULT_KINDS = [
  "consumer-kill",
  "connection-cut",
  "broker-restart",
  "poison",
  "kill-leader",
  "kill-primary",
  "move-slot",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Faults of a run that names none: every fault a single broker can take. */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = [
  "consumer-kill",
  "connection-cut",
  "broker-restart",
  "poison",
];
/** Faults a private cluster (`--cluster`) adds to {@link DEFAULT_FAULT_KINDS}, by what the cluster is made of. */
export const CLUSTER_FAULT_KINDS: Readonly<Record<"rabbitmq" | "redis", readonly FaultKind[]>> = {
  rabbitmq: ["kill-leader"],
  redis: ["kill-primary", "move-slot"],
};
/** Faults that strike at a point in time (poison is a property of messages). */
export type TimedFaultKind = Exclude<FaultKind, "poison">;

/** How often each timed fault strikes in one run. */
export const FAULT_COUNTS: Readonly<Record<TimedFaultKind, number>> = {
  "consumer-kill": 2,
  "connection-cut": 2,
  "broker-restart": 1,
  "kill-leader": 1,
  "kill-primary": 1,
  "move-slot": 1,
};

export interface PlannedFault {
  kind: TimedFaultKind;
  /** Progress (0..1) at which it strikes. */
  at: number;
  /** Consumer index it strikes (consumer-kill). */
  target: number;
}

export interface FaultPlan {
  seed: number;
  faults: PlannedFault[];
  /** Sequence numbers of poison messages, ascending. */
  poison: number[];
}

/** Draw the plan for `messages` messages and `consumers` consumers. */
export function planFaults(
  seed: number,
  kinds: readonly FaultKind[],
  messages: number,
  consumers: number,
): FaultPlan {
  const random = seededRandom(seed);
  const faults: PlannedFault[] = [];
  for (const kind of kinds) {
    if (kind === "poison") continue;
    for (let i = 0; i < FAULT_COUNTS[kind]; i++) {
      // Strike between 15% and 85% of the work, so there is traffic before and after each fault.
      faults.push({ kind, at: 0.15 + random() * 0.7, target: randomInt(random, 0, consumers - 1) });
    }
  }
  faults.sort((a, b) => a.at - b.at);
  const poison = new Set<number>();
  if (kinds.includes("poison")) {
    const count = Math.min(messages, Math.max(1, Math.round(messages * 0.01)));
    while (poison.size < count) poison.add(randomInt(random, 0, messages - 1));
  }
  return { seed, faults, poison: [...poison].sort((a, b) => a - b) };
}
