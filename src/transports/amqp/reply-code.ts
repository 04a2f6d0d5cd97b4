/**
 * AMQP reply codes, read from the `code` amqplib puts on the error of an operation the broker refused
 * (the channel.close or connection.close frame's reply-code). mqa classifies broker refusals by this
 * code, never by the reply text.
 */

/** 403 ACCESS_REFUSED: the login (or an operation) was refused. */
export const ACCESS_REFUSED = 403;
/** 404: the exchange or queue does not exist. */
export const NOT_FOUND = 404;
/** 406: a redeclare with other arguments, an unknown delivery tag, a message over max_message_size, … */
export const PRECONDITION_FAILED = 406;
/** 530 NOT_ALLOWED: the vhost does not exist or may not be used (connection.open refused). */
export const NOT_ALLOWED = 530;

/** The AMQP reply code an amqplib error carries, if any. */
export function replyCodeOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}
