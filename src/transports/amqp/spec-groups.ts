/**
 * A spec's resolved group (src/spec/rabbit-groups.ts) → the {@link GroupResources} the plan builds from. The
 * one place this mapping is made, for the transport and for `mqa topology` alike.
 */
import type { ResolvedRabbitGroup } from "../../spec/rabbit-groups.js";
import type { GroupResources } from "./topology-plan.js";

/** Where the group lives, as the plan takes it. */
export function groupResourcesOf(g: ResolvedRabbitGroup): GroupResources {
  return {
    exchange: g.exchange,
    exchangeType: g.exchangeType,
    declareExchange: g.declareExchange,
    queue: g.queue,
    declareQueue: g.declareQueue,
    ...(g.bindings === undefined ? {} : { bindings: g.bindings }),
    ...(g.declareQueue ? { arguments: g.arguments } : {}),
    ...(g.partitions > 1 ? { partitions: g.partitions } : {}),
  };
}
