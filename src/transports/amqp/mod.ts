/** `mqa/amqp`: the RabbitMQ transport. See docs/amqp.md. */
export { AmqpTransport, createAmqpTransport } from "./transport.js";
export type { AmqpTransportOptions, ResolvedAmqpOptions, QueueChoice } from "./options.js";
export type { GroupLayout } from "./addressing.js";
export { resolveAmqpOptions } from "./options.js";
export { parseVersion, compareVersions, type Version } from "./server-version.js";
export { parseInequivalentArgument, type InequivalentArgument } from "./precondition.js";
export type { AmqpSubscription, SubscriptionStats } from "./subscription.js";
export type { PublisherStats } from "./confirm-publisher.js";
export type { ConnectionRole } from "./connection-manager.js";
export { declarePlan } from "./declare.js";
export { PreconditionFailedError } from "../../core/errors.js";
/** The pure layout (resource plan, spec groups, delivery mapping) that features import; see ./layout.ts. */
export * from "./layout.js";
