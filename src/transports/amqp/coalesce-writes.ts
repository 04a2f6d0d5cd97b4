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
 * It reaches into amqplib's internals (`connection.muxer._readIncoming` and `muxer.out`), so before
 * patching it checks what they DO, not just their shape: it corks and uncorks the output once and
 * requires `writableCorked` to follow (0 → 1 → 0). When that fails, frames are written one by one as
 * amqplib does alone, and this is logged once per process at warn level; a test fails if an amqplib
 * upgrade makes it a no-op.
 */
import type { ChannelModel } from "amqplib";
import type { Logger } from "pino";

interface Corkable {
  cork(): void;
  uncork(): void;
  readonly writableCorked: number;
}

interface Muxer {
  out: Corkable;
  _readIncoming: () => void;
  mqaCoalesced?: true;
}

/** Why the muxer cannot be coalesced, or undefined when it can. */
function unusable(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "amqplib has no connection.muxer";
  const m = value as Partial<Muxer>;
  if (typeof m._readIncoming !== "function") return "amqplib's muxer has no _readIncoming()";
  const out = m.out as Partial<Corkable> | undefined;
  if (typeof out !== "object" || out === null) return "amqplib's muxer has no output stream";
  if (typeof out.cork !== "function" || typeof out.uncork !== "function")
    return "amqplib's muxer output cannot be corked";
  // Behaviour, not shape: corking must really hold writes back, and uncorking release them.
  const before = out.writableCorked;
  out.cork();
  const corked = out.writableCorked;
  out.uncork();
  const after = out.writableCorked;
  if (typeof before !== "number" || corked !== before + 1 || after !== before)
    return "corking amqplib's muxer output does not hold writes back";
  return undefined;
}

let warned = false;

/**
 * Coalesce the frames amqplib writes in one pass into one socket write. True when applied; false when
 * amqplib's internals do not behave as expected (said once per process at warn level on `log`).
 */
export function coalesceWrites(model: ChannelModel, log?: Logger): boolean {
  const muxer = (model.connection as unknown as { muxer?: unknown } | undefined)?.muxer;
  const why = (muxer as Partial<Muxer> | undefined)?.mqaCoalesced ? undefined : unusable(muxer);
  if (why !== undefined) {
    if (!warned && log) {
      warned = true;
      log.warn(
        { reason: why },
        "amqplib internals changed: frames are written one by one (slower publishing and acking); " +
          "please report the amqplib version",
      );
    }
    return false;
  }
  const m = muxer as Muxer;
  if (m.mqaCoalesced) return true;
  const copyFrames = m._readIncoming;
  m._readIncoming = function coalescedReadIncoming(this: Muxer): void {
    const out = this.out;
    out.cork();
    try {
      copyFrames.call(this);
    } finally {
      out.uncork();
    }
  };
  m.mqaCoalesced = true;
  return true;
}
