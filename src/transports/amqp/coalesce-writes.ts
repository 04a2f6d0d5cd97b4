/**
 * One socket write per event-loop turn instead of one per frame.
 *
 * amqplib queues every frame (a publish, an ack) on its channel's buffer and a multiplexer copies them to
 * the socket in a later turn, one `socket.write` per frame; on a socket that is not busy each of those is
 * a system call of its own. Publishing or acking thousands of messages a second spends a large share of
 * the CPU there (docs/performance.md has the profile). Corking the socket while the multiplexer copies
 * one turn's frames and uncorking at the end of that same synchronous pass hands them to the kernel as
 * one writev: no frame waits longer than before, the order is unchanged, and backpressure works as
 * before (`write` still returns false past the high-water mark, which ends the pass).
 *
 * It reaches into amqplib's internals (`connection.muxer._readIncoming`), so it checks their shape and
 * does nothing when they differ; a test fails if an amqplib upgrade makes it a no-op.
 */
import type { ChannelModel } from "amqplib";

interface Corkable {
  cork(): void;
  uncork(): void;
}

interface Muxer {
  out: Corkable;
  _readIncoming: () => void;
  mqaCoalesced?: true;
}

function isMuxer(value: unknown): value is Muxer {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Partial<Muxer>;
  return (
    typeof m._readIncoming === "function" &&
    typeof m.out === "object" &&
    m.out !== null &&
    typeof m.out.cork === "function" &&
    typeof m.out.uncork === "function"
  );
}

/** Coalesce the frames amqplib writes in one pass into one socket write. True when applied. */
export function coalesceWrites(model: ChannelModel): boolean {
  const muxer = (model.connection as unknown as { muxer?: unknown }).muxer;
  if (!isMuxer(muxer)) return false;
  if (muxer.mqaCoalesced) return true;
  const copyFrames = muxer._readIncoming;
  muxer._readIncoming = function coalescedReadIncoming(this: Muxer): void {
    const out = this.out;
    out.cork();
    try {
      copyFrames.call(this);
    } finally {
      out.uncork();
    }
  };
  muxer.mqaCoalesced = true;
  return true;
}
