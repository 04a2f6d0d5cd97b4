/**
 * The fault suite every networked transport runs the same way, each against its own private broker:
 * connections cut through the fault proxy, the broker restarted mid-run, a consumer killed mid-handling,
 * a poison message crash-looping its consumers. Every case reconciles each confirmed message by id.
 *
 * ```ts
 * describeTransportFaults({ name: "amqp", deliveryLimitReason: "delivery-limit", start: startPrivateRabbit });
 * ```
 */
import { afterAll, afterEach, beforeAll, describe } from "vitest";
import { describeConsumerKilled } from "./consumer-killed.js";
import { createFaultContext } from "./context.js";
import { describeCut } from "./cut.js";
import { describePoison } from "./poison.js";
import { describeRestart } from "./restart.js";
import type { FaultTarget } from "./target.js";

export type { FaultTarget, PrivateBroker } from "./target.js";

/** Register the fault tests for one networked transport. */
export function describeTransportFaults(target: FaultTarget): void {
  const ctx = createFaultContext(target);
  describe(`transport faults: ${target.name}`, () => {
    beforeAll(() => ctx.start(), target.startTimeoutMs ?? 120_000);
    afterEach(() => ctx.release(), 30_000);
    afterAll(() => ctx.stop(), 60_000);
    describeCut(ctx);
    describeConsumerKilled(ctx);
    describePoison(ctx);
    // Last: a restart disturbs nothing that runs after it.
    describeRestart(ctx);
  });
}
