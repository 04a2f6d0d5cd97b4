/**
 * Close a channel or a connection without waiting forever: amqplib's `close()` neither resolves nor
 * rejects when the connection dies (or goes silent) while it waits for the broker's close-ok, and an
 * await on it in a reconnect hook or a graceful close would hang the transport for good. The object is
 * gone with its connection either way.
 */

/** Anything amqplib lets us close: a channel, a confirm channel, a connection (ChannelModel). */
export interface Closable {
  close(): Promise<void>;
}

/**
 * `thing.close()`, given up on after `timeoutMs`; never throws. True when the close finished (or failed
 * at once), false when it was given up on, so a caller can cut the socket itself.
 */
export async function closeQuietly(thing: Closable, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    thing.close().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return finished;
}
