/**
 * The shop's topology for RabbitMQ when `mqa trace` should see it: every topic with its consumer groups and a
 * `history` stream queue (`<topic>.history`) that keeps each message for `maxAge`, so the transaction can be
 * read again after the groups consumed it. Redis needs none of this: a stream is its own history.
 *
 * With a spec the RabbitMQ transport declares what it describes and refuses any other name, so this table is
 * the one place where the services' groups are written down: a handler on a group not listed here fails at
 * start-up, naming the groups the spec has.
 */
import { defineTopology } from "../../src/spec/define.js";
import type { TopologySpec } from "../../src/spec/schema/spec.js";
import type { Shop } from "./messages.js";

/** Which groups subscribe to which event (the services' `onEvent` calls, and the run's report). */
export const SUBSCRIPTIONS = {
  OrderPlaced: ["payments"],
  PaymentCaptured: ["shipping"],
  PaymentDeclined: ["orders"],
  OrderShipped: ["orders", "report"],
  OrderCancelled: ["report"],
} as const satisfies Record<keyof Shop["events"], readonly string[]>;

/** The spec: each command with its handler group, each event with its subscriber groups, all with history. */
export function shopTopology(shop: Shop, maxAge: string): TopologySpec {
  const history = { maxAge };
  return defineTopology({
    version: 1,
    rabbitmq: {
      vhosts: [{ name: "/" }],
      topics: [
        ...Object.keys(shop.commands).map((name) => ({
          name: shop.commandTopic(name as keyof Shop["commands"]),
          history,
          groups: [{ name: shop.commandGroup }],
        })),
        ...Object.entries(SUBSCRIPTIONS).map(([name, groups]) => ({
          name: shop.eventTopic(name as keyof Shop["events"]),
          history,
          groups: groups.map((group) => ({ name: group })),
        })),
      ],
    },
  });
}
