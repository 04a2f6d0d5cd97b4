/**
 * Close a channel without waiting forever: amqplib's `close()` neither resolves nor rejects when the
 * connection dies while it waits for the broker's close-ok, and an await on it in a reconnect hook would
 * keep the transport "reconnecting" for good. The channel is gone with its connection either way.
 */
import type { Channel } from "amqplib";

/** `channel.close()`, given up on after `timeoutMs`; never throws. */
export async function closeQuietly(channel: Pick<Channel, "close">, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    channel.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
