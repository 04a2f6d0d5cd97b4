/**
 * The one place mqa reaches under amqplib's API to the connection's socket: to drop it as a crash would
 * (`abort`), or when the broker never answers a close. amqplib keeps it at `connection.stream`, which is
 * not public API, so it is checked before use and the caller falls back when it is not there.
 */
import type { ChannelModel } from "amqplib";

interface Destroyable {
  destroy(err?: Error): void;
  readonly destroyed?: boolean;
}

function socketOf(model: ChannelModel): Destroyable | undefined {
  const stream = (model.connection as unknown as { stream?: unknown } | undefined)?.stream;
  if (typeof stream !== "object" || stream === null) return undefined;
  return typeof (stream as Partial<Destroyable>).destroy === "function" ? (stream as Destroyable) : undefined;
}

/**
 * Destroy the connection's socket with `reason` (with an error, so amqplib notices at once: a plain
 * destroy emits neither 'end' nor 'error'). False when amqplib keeps no socket where expected.
 */
export function destroySocket(model: ChannelModel, reason: Error): boolean {
  const socket = socketOf(model);
  if (!socket) return false;
  if (!socket.destroyed) socket.destroy(reason);
  return true;
}
