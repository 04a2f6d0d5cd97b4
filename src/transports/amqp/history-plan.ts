/**
 * The resources of a topic's history (src/spec/rabbit-history.ts) as a {@link TopologyPlan}: the topic's
 * exchange (or a passive check of someone else's), the stream queue `<topic>.history` and its bindings.
 * Pure: the transport declares it with the topic's groups and `mqa topology` expands it, from this one plan.
 */
import type { ResolvedRabbitHistory } from "../../spec/rabbit-history.js";
import type { TopologyPlan } from "./topology-plan.js";

/** What to declare so that `h`'s stream queue keeps every message published to the topic from now on. */
export function planHistoryTopology(h: ResolvedRabbitHistory): TopologyPlan {
  const exchanges = h.declareExchange
    ? [
        {
          name: h.exchange,
          type: h.exchangeType,
          durable: true as const,
          autoDelete: false as const,
          internal: false,
          arguments: {},
          purpose: `topic ${h.topic}`,
        },
      ]
    : [];
  const plan: TopologyPlan = {
    exchanges,
    queues: [
      {
        name: h.queue,
        type: "stream",
        durable: true,
        autoDelete: false,
        exclusive: false,
        arguments: { ...h.arguments },
        purpose: `history of topic ${h.topic} (replay)`,
      },
    ],
    bindings: h.bindings.map((b) => ({
      source: h.exchange,
      destination: h.queue,
      destinationType: "queue" as const,
      routingKey: b.routingKey,
      arguments: { ...b.arguments },
    })),
  };
  const builtIn = h.exchange === "" || h.exchange.startsWith("amq.");
  return h.declareExchange || builtIn ? plan : { ...plan, passive: { exchanges: [h.exchange], queues: [] } };
}
