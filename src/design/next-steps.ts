/**
 * What to do first, in order: settle what was assumed, decide what the patterns need, then check, build,
 * prove and watch — the order a team can follow without reading the whole report again.
 */
import type { Design } from "./advise.js";
import type { Assumption } from "./assumptions.js";

/** Next steps for design `d`, most important first. */
export function nextStepsFor(d: Design, assumptions: readonly Assumption[]): string[] {
  const r = d.requirements;
  const steps: string[] = [];
  const decisive = assumptions.filter((a) =>
    ["messageSize", "durability", "ordering", "handlerTime", "latencyP99Ms", "replay"].includes(a.field),
  );
  if (decisive.length > 0)
    steps.push(
      `Confirm what was assumed and run mqa design again with the real values: ${decisive.map((a) => `${a.field} (assumed ${a.value})`).join(", ")} — each can change the broker or the pattern.`,
    );
  if (d.compromise)
    steps.push(
      `Decide what gives: no option meets every requirement (${d.problems.length} problem(s) under "What gives"); relax one requirement or accept the cost before building.`,
    );
  for (const p of d.patterns) {
    if (p.id === "claim-check")
      steps.push(
        "Choose the payload store and set its expiry (lifecycle rule) before writing code: the producer writes the object before the reference.",
      );
    if (p.id === "partition-by-key")
      steps.push(
        `Pick the order key (the entity whose events must stay in order) and fix the partition count (${d.sizing.partitions}): changing it later moves keys, so drain first.`,
      );
    if (p.id === "priority-lanes")
      steps.push("Decide which messages are in which class: the publisher chooses the lane's topic.");
  }
  steps.push(
    `Check the spec: mqa topology validate ${d.specFile} && mqa audit ${d.specFile} --fail-on medium.`,
  );
  steps.push(
    d.choice === "redis-streams"
      ? "Stand up Redis with AOF and a replica (the settings above), then create the streams and groups (the setup commands, or mqa topology apply)."
      : "Stand up a 3-node RabbitMQ cluster (the settings above), then create the topology (the setup steps, or mqa topology apply with a rollback file).",
  );
  steps.push(
    "Start from the producer and consumer code below; make the handler idempotent (deduplicate by message id): delivery is at least once.",
  );
  steps.push(
    `Prove it before go-live: mqa verify with faults (lost: 0), then mqa bench at ${r.rate} msg/s for the p99 (the test plan above).`,
  );
  steps.push(
    "Deploy consumers before publishers, watch with mqa monitor (DLQ growth, lag), and keep the rollback steps at hand.",
  );
  return steps;
}
