/**
 * Before a rollback changes anything, every step is checked against the broker: a rollback that stopped at
 * step N (a queue that now holds messages) after deleting bindings at steps 1…N−1 would leave the topology
 * half undone. All blockers are found first and reported together; nothing runs while one remains.
 */
import type { RabbitManagementApi } from "../brokers/management-api.js";
import { UnsafeChangeError } from "./errors.js";
import type { RabbitOp } from "./rabbit-ops.js";

/** Why each step cannot run now, in step order (1-based step numbers); empty when every step can. */
export async function rabbitRollbackBlockers(
  api: RabbitManagementApi,
  steps: readonly RabbitOp[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
  const needsCounts = steps.some((s) => (s.op === "delete-queue" && s.ifEmpty) || s.op === "delete-vhost");
  // One call for every queue's count, not one per step.
  const counts = needsCounts ? await api.queueMessageCounts() : new Map<string, number>();
  const blockers: string[] = [];
  steps.forEach((s, i) => {
    const at = `step ${i + 1}/${steps.length}`;
    if (s.op === "delete-queue" && s.ifEmpty) {
      const messages = counts.get(`${s.vhost}\u0000${s.name}`) ?? 0;
      if (messages > 0)
        blockers.push(
          `${at} deletes queue ${s.vhost}/${s.name}, which holds ${messages} messages: drain or move them first`,
        );
    } else if (s.op === "delete-vhost") {
      let held = 0;
      for (const [k, n] of counts) if (k.startsWith(`${s.name}\u0000`)) held += n;
      if (held > 0)
        blockers.push(
          `${at} deletes vhost ${s.name}, whose queues hold ${held} messages: drain or move them first`,
        );
    } else if (s.op === "put-user" && s.passwordEnv !== undefined) {
      const password = env[s.passwordEnv];
      if (password === undefined || password === "")
        blockers.push(
          `${at} restores user ${s.name}, whose password is read from ${s.passwordEnv}: it is not set`,
        );
    }
  });
  return blockers;
}

/** Throw {@link UnsafeChangeError} listing every blocker, when there is any. */
export function assertNoBlockers(file: string, blockers: readonly string[]): void {
  if (blockers.length === 0) return;
  throw new UnsafeChangeError(
    `rollback ${file} was not started: ${blockers.length} step(s) cannot run, and a rollback that stops half way leaves the topology half undone. Nothing was changed.\n${blockers.map((b) => `  - ${b}`).join("\n")}`,
    { details: { file, blockers } },
  );
}
