/**
 * Which mqa topic and group a RabbitMQ dead-letter queue belongs to, from what the management API tells:
 * mqa binds the DLQ `T.G.dlq` to `mqa.dlx` with the group queue's name `T.G` as routing key, and binds
 * `T.G` to the topic's exchange `T`. Topic names may contain dots, so the split of `T.G` is taken from that
 * exchange binding, never guessed from the dots. Pure: the bindings are read by the sampler.
 */
import { DEAD_LETTER_EXCHANGE } from "../transports/amqp/layout.js";

import type { DlqAddress } from "./dlq-commands.js";

/** One binding as `GET /api/bindings?columns=source,vhost,destination,destination_type,routing_key` lists it. */
export interface RabbitBinding {
  source: string;
  vhost: string;
  destination: string;
  destinationType: string;
  routingKey: string;
}

/**
 * The topic and group of DLQ `name` in `vhost`, or the reason they cannot be told (the queue is not
 * bound to `mqa.dlx`, or its group lives on resources of other names, which only the spec knows).
 */
export function rabbitDlqAddress(
  name: string,
  vhost: string,
  bindings: readonly RabbitBinding[],
): { address: DlqAddress } | { reason: string } {
  const into = (queue: string): RabbitBinding[] =>
    bindings.filter((b) => b.vhost === vhost && b.destination === queue && b.destinationType === "queue");
  const source = into(name).find((b) => b.source === DEAD_LETTER_EXCHANGE)?.routingKey;
  if (source === undefined)
    return { reason: `${name} is not bound to ${DEAD_LETTER_EXCHANGE}: mqa dlq cannot tell its group` };
  if (name !== `${source}.dlq`)
    return { reason: `${name} takes the dead letters of ${source} under another name: give the spec` };
  const topics = into(source)
    .map((b) => b.source)
    .filter(
      (e) =>
        e !== "" && e !== DEAD_LETTER_EXCHANGE && source.startsWith(`${e}.`) && source.length > e.length + 1,
    )
    .sort((a, b) => b.length - a.length);
  const topic = topics[0];
  if (topic === undefined)
    return {
      reason: `${source} is not named <topic>.<group> after an exchange bound to it: give the spec that declares its group`,
    };
  return { address: { topic, group: source.slice(topic.length + 1) } };
}

/** Exchanges of mqa's own plumbing: a queue bound to them is not thereby part of a topic. */
const plumbing = (exchange: string): boolean =>
  exchange === "" || exchange === DEAD_LETTER_EXCHANGE || exchange.startsWith("mqa.delay.");

/**
 * The topic and group of a work queue: the exchange it is bound to is the topic. mqa names a group's
 * queue `<topic>.<group>`, so the longest bound exchange that prefixes the name splits it; a queue of
 * another name (the user's own) is its own group under the first exchange bound to it. `undefined` when
 * no exchange but the default reaches it.
 */
export function rabbitQueueAddress(
  name: string,
  vhost: string,
  bindings: readonly RabbitBinding[],
): { topic: string; group: string } | undefined {
  const sources = [
    ...new Set(
      bindings
        .filter(
          (b) =>
            b.vhost === vhost &&
            b.destination === name &&
            b.destinationType === "queue" &&
            !plumbing(b.source),
        )
        .map((b) => b.source),
    ),
  ].sort();
  const named = sources
    .filter((e) => name.startsWith(`${e}.`) && name.length > e.length + 1)
    .sort((a, b) => b.length - a.length)[0];
  if (named !== undefined) return { topic: named, group: name.slice(named.length + 1) };
  const first = sources[0];
  return first === undefined ? undefined : { topic: first, group: name };
}
