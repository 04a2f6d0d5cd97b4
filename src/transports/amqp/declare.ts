/**
 * Declares a {@link TopologyPlan} on RabbitMQ: exchanges, then queues, then bindings. Idempotent.
 * A failed declare closes its channel, so each plan runs on a channel of its own.
 */
import type { ChannelModel } from "amqplib";
import type { TopologyPlan } from "./topology-plan.js";
import { isPreconditionFailed, preconditionFailedError } from "./precondition.js";

/** Declare everything in `plan`; conflicts become `PreconditionFailedError`. */
export async function declarePlan(model: ChannelModel, plan: TopologyPlan): Promise<void> {
  const channel = await model.createChannel();
  // A declare failure also arrives as a channel 'error' event; the rejected call reports it.
  channel.on("error", () => undefined);
  let current: { kind: "queue" | "exchange"; name: string } = { kind: "exchange", name: "" };
  try {
    for (const e of plan.exchanges) {
      current = { kind: "exchange", name: e.name };
      await channel.assertExchange(e.name, e.type, {
        durable: e.durable,
        autoDelete: e.autoDelete,
        internal: e.internal,
        arguments: e.arguments,
      });
    }
    for (const q of plan.queues) {
      current = { kind: "queue", name: q.name };
      await channel.assertQueue(q.name, {
        durable: q.durable,
        autoDelete: q.autoDelete,
        exclusive: q.exclusive,
        arguments: q.arguments,
      });
    }
    for (const b of plan.bindings) {
      if (b.destinationType === "queue")
        await channel.bindQueue(b.destination, b.source, b.routingKey, b.arguments);
      else await channel.bindExchange(b.destination, b.source, b.routingKey, b.arguments);
    }
  } catch (err) {
    if (isPreconditionFailed(err)) throw preconditionFailedError(err, current);
    throw err;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
