/**
 * `tail`: follow new messages on a topic without disturbing any group. How depends on the broker
 * (see docs/verify.md, "mqa tail"): RabbitMQ gets an exclusive, auto-deleted queue of its own bound to
 * the topic; Redis Streams are read with plain XREAD (no group, no pending entries); other transports
 * get a temporary group that is closed on exit.
 */
import { randomBytes } from "node:crypto";
import { createTransport, type BrokerTlsOptions } from "../connect.js";
import type { Message } from "../core/message.js";

/** A running tail. */
export interface Tail {
  /** How this tail avoids disturbing groups, for the user. */
  readonly method: string;
  close(): Promise<void>;
}

/** Where a topic really is, when not at mqa's default names (from a spec or the command line). */
export interface TailOptions {
  /** RabbitMQ: the exchange to follow. @defaultValue the topic */
  exchange?: string;
  /** RabbitMQ: its type, to bind so that everything matches. @defaultValue "topic" */
  exchangeType?: "direct" | "topic" | "fanout" | "headers";
  /** RabbitMQ direct exchanges: the routing keys to follow. */
  routingKeys?: readonly string[];
  /** Redis: the stream key as it is. @defaultValue `<keyPrefix>:{topic}` */
  key?: string;
  /** Redis: the field holding other producers' payload. */
  fields?: { payload: string; contentType?: string; id?: string };
  /** Redis: key prefix of mqa's streams. @defaultValue "mqa" */
  keyPrefix?: string;
  /** TLS settings for an `amqps://` or `rediss://` URL (ignored for the others). */
  tls?: BrokerTlsOptions;
}

export type TailOpener = (
  url: string,
  topic: string,
  onMessage: (m: Message) => void,
  options?: TailOptions,
) => Promise<Tail>;

const openers: Record<string, () => Promise<TailOpener>> = {
  "amqp:": async () => (await import("./amqp.js")).openAmqpTail,
  "amqps:": async () => (await import("./amqp.js")).openAmqpTail,
  "redis:": async () => (await import("./redis.js")).openRedisTail,
  "rediss:": async () => (await import("./redis.js")).openRedisTail,
};

/** Start following `topic` on the broker at `url`. */
export async function openTail(
  url: string,
  topic: string,
  onMessage: (m: Message) => void,
  options: TailOptions = {},
): Promise<Tail> {
  const opener = openers[new URL(url).protocol];
  return opener
    ? (await opener())(url, topic, onMessage, options)
    : openGroupTail(url, topic, onMessage, options.tls);
}

/** Fallback: a temporary group of our own, acked as we go, closed on exit. */
async function openGroupTail(
  url: string,
  topic: string,
  onMessage: (m: Message) => void,
  tls: BrokerTlsOptions | undefined,
): Promise<Tail> {
  const transport = await createTransport(url, tls ? { tls } : {});
  await transport.connect();
  const group = `mqa.tail.${randomBytes(4).toString("hex")}`;
  await transport.declare({ topic, group, deadLetter: false });
  const sub = await transport.subscribe(
    topic,
    group,
    async (d) => {
      onMessage(d.message);
      await d.ack();
    },
    { prefetch: 100 },
  );
  return {
    method: `temporary group ${group} (messages published from now on)`,
    close: async () => {
      await sub.close({ timeoutMs: 1000 });
      await transport.close({ timeoutMs: 2000 });
    },
  };
}
