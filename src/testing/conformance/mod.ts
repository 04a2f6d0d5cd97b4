/**
 * The universal conformance suite: one set of behaviours every transport must show, run against the
 * in-memory broker, RabbitMQ and Redis Streams alike, one file per behaviour. Cases branch on
 * `transport.features`, never on a transport's name: a case whose feature is absent is not registered.
 * Call it inside a Vitest test file:
 *
 * ```ts
 * describeTransportConformance({ name: "amqp", create: () => createAmqpTransport({ url }) });
 * ```
 */
import { afterAll, describe } from "vitest";
import { describeCancellation } from "./cancellation.js";
import { describeClose } from "./close.js";
import { describeConsumerLoss } from "./consumer-loss.js";
import { createSuiteContext } from "./context.js";
import { describeDeadLetters } from "./dead-letters.js";
import { describeDelivery } from "./delivery.js";
import { describeGroups } from "./groups.js";
import { describeHandlerErrors } from "./handler-errors.js";
import { describeIsolation } from "./isolation.js";
import { describeOrdering } from "./ordering.js";
import { describePrefetch } from "./prefetch.js";
import { describeReconnect } from "./reconnect.js";
import { describeRetry } from "./retry.js";
import { describeShutdown } from "./shutdown.js";
import type { ConformanceTarget } from "./target.js";
import { describeUnroutable } from "./unroutable.js";

export type { ConformanceTarget } from "./target.js";
// The fault suite travels with this one, so `mqa/testing` re-exports both from one line.
export { describeTransportFaults, type FaultTarget, type PrivateBroker } from "../faults/mod.js";

/** Register the conformance tests for one transport. */
export function describeTransportConformance(target: ConformanceTarget): void {
  const ctx = createSuiteContext(target);
  afterAll(() => ctx.finish());
  describe(`transport conformance: ${target.name}`, () => {
    describe("delivery", () => describeDelivery(ctx));
    describe("consumer groups", () => describeGroups(ctx));
    describe("topic isolation", () => describeIsolation(ctx));
    describe("retry", () => describeRetry(ctx));
    describe("handler errors", () => describeHandlerErrors(ctx));
    describe("consumer loss", () => describeConsumerLoss(ctx));
    describe("shutdown", () => describeShutdown(ctx));
    describe("close and concurrency", () => describeClose(ctx));
    describe("ordering", () => describeOrdering(ctx));
    describe("dead letters", () => describeDeadLetters(ctx));
    describe("prefetch", () => describePrefetch(ctx));
    describe("unroutable", () => describeUnroutable(ctx));
    describe("cancellation", () => describeCancellation(ctx));
    if (target.proxied !== undefined) describe("reconnect", () => describeReconnect(ctx));
  });
}
