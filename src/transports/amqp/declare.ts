/**
 * Declares a {@link TopologyPlan} on RabbitMQ: first checks what must exist already (passively: nothing is
 * created or changed), then exchanges, queues, bindings. Idempotent. A failed declare closes its channel, so
 * each plan runs on a channel of its own.
 */
import type { ChannelModel } from "amqplib";
import { closeQuietly } from "./close-quietly.js";
import { ResourceNotFoundError } from "../../core/errors.js";
import type { TopologyPlan } from "./topology-plan.js";
import { assertPlanNames } from "./name-limits.js";
import { isPreconditionFailed, preconditionFailedError } from "./precondition.js";
import { NOT_FOUND, replyCodeOf } from "./reply-code.js";

/** True for an amqplib error carrying AMQP reply code 404 (NOT_FOUND). */
function isNotFound(err: unknown): boolean {
  return replyCodeOf(err) === NOT_FOUND;
}

/**
 * Declare everything in `plan`; conflicts become `PreconditionFailedError`, a resource that must exist and
 * does not becomes `ResourceNotFoundError`, and a name the broker cannot take (over 255 bytes) is refused
 * with `InvalidOptionsError` before anything is sent.
 */
export async function declarePlan(model: ChannelModel, plan: TopologyPlan): Promise<void> {
  assertPlanNames(plan);
  await checkExisting(model, plan);
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
    await closeQuietly(channel);
  }
}

/** Passive checks of the resources the plan uses as they are; a missing one is named with what to do. */
async function checkExisting(model: ChannelModel, plan: TopologyPlan): Promise<void> {
  const checks = [
    ...(plan.passive?.exchanges ?? []).map((name) => ({ kind: "exchange" as const, name })),
    ...(plan.passive?.queues ?? []).map((name) => ({ kind: "queue" as const, name })),
  ];
  for (const check of checks) {
    // A failed check closes the channel: one channel per check.
    const channel = await model.createChannel();
    channel.on("error", () => undefined);
    try {
      if (check.kind === "exchange") await channel.checkExchange(check.name);
      else await channel.checkQueue(check.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new ResourceNotFoundError(
        `${check.kind} '${check.name}' does not exist on the broker, and mqa was told to use it as it is ` +
          `(existing, or listed in the topology spec's rabbitmq.${check.kind === "queue" ? "queues" : "exchanges"}): ` +
          "declare it (e.g. `mqa topology apply`), or fix the name",
        { cause: err, details: { kind: check.kind, name: check.name } },
      );
    } finally {
      await closeQuietly(channel);
    }
  }
}
