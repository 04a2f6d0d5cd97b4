/**
 * The largest message RabbitMQ takes. The broker's `max_message_size` (128 MiB by default since 3.8) is not
 * in the AMQP handshake, so the transport checks `maxMessageBytes` before sending; a message the broker
 * refuses anyway (a lower `max_message_size`) closes the channel with PRECONDITION_FAILED, whose reply text
 * is the only place the broker states the refused size and its limit: that message is failed, never resent,
 * and the limit is remembered for the messages after it.
 */
import { MessageTooLargeError } from "../../core/errors.js";
import { PRECONDITION_FAILED } from "./reply-code.js";

/** RabbitMQ's default `max_message_size`: 128 MiB. */
export const BROKER_DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
/**
 * Default `maxMessageBytes`: the broker's default less 1 MiB of headroom for properties and headers (newer
 * brokers count them towards the limit too).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = BROKER_DEFAULT_MAX_MESSAGE_BYTES - 1024 * 1024;

/** What the broker said when it refused a message for its size. */
export interface SizeRefusal {
  /** Size of the refused message, bytes. */
  readonly size: number;
  /** The broker's `max_message_size`, bytes. */
  readonly max: number;
}

/**
 * The size refusal a channel close carries, if it is one: reply code 406 and the broker's text
 * `message size N is larger than [configured ]max size M`.
 */
export function sizeRefusalOf(reason: {
  readonly message: string;
  readonly code: number | undefined;
}): SizeRefusal | undefined {
  if (reason.code !== PRECONDITION_FAILED) return undefined;
  const m = /message size (\d+) is larger than (?:configured )?max size (\d+)/.exec(reason.message);
  if (!m) return undefined;
  return { size: Number(m[1]), max: Number(m[2]) };
}

/** True when a message of `bytes` is the one the broker refused, or would be refused by the same limit. */
export function refusedBy(refusal: SizeRefusal, bytes: number): boolean {
  return bytes === refusal.size || bytes > refusal.max;
}

/** The error for a message of `bytes` over `limit`; `source` says whose limit it is. */
export function messageTooLarge(
  bytes: number,
  limit: number,
  source: "option" | "broker",
  where: { readonly exchange: string; readonly routingKey: string; readonly messageId: string },
): MessageTooLargeError {
  const what =
    source === "option"
      ? `the transport's maxMessageBytes (${limit})`
      : `RabbitMQ's max_message_size (${limit}), which refused it`;
  return new MessageTooLargeError(
    `message of ${bytes} bytes to exchange '${where.exchange}' (routing key '${where.routingKey}') is larger than ` +
      `${what}; it was not stored and is not sent again. Send large payloads by reference (store the body ` +
      "elsewhere, publish its location)" +
      (source === "option"
        ? ", or raise maxMessageBytes if the broker's max_message_size is larger"
        : ", or raise max_message_size in rabbitmq.conf"),
    { details: { ...where, bytes, limit, source } },
  );
}
