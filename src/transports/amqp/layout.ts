/**
 * The RabbitMQ transport's pure layout, for features (topology, tail, cleanup, audit): the exact resources
 * mqa declares for a group, the resolution of a spec's groups to them, and the mapping of a delivery to a
 * message. Loading this file never loads amqplib at run time (only its types); it only re-exports the
 * transport's own pure modules, so features and the transport cannot drift.
 */
export * from "./topology-plan.js";
export { groupResourcesOf } from "./spec-groups.js";
export { fromDelivery } from "./message-mapping.js";
export { planHistoryTopology } from "./history-plan.js";
