/**
 * Batches XACKs: acks issued in the same tick go out as one XACK per stream (and one XDEL for entries
 * of a group's retry stream, which only that group reads), pipelined. Every ack of one batch shares the
 * batch's promise: one promise per batch, not one (with its closures) per message.
 */
import { isCluster, type RedisClient } from "./client.js";

interface PendingAck {
  readonly stream: string;
  readonly id: string;
  readonly deleteAfter: boolean;
}

/** Acks of one batch and the promise they share. */
interface Batch {
  readonly acks: PendingAck[];
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody awaits (every caller dropped its promise) must not become an unhandled rejection.
  done.catch(() => undefined);
  return { acks: [], done, resolve, reject };
}

/** XACK batcher for one group. */
export class AckBatcher {
  private batch: Batch | undefined;
  private scheduled = false;
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly client: RedisClient,
    private readonly group: string,
    private readonly maxBatch = 512,
  ) {}

  /** Acknowledge `id` in `stream`; resolves when Redis replied to the batch it went out in. */
  ack(stream: string, id: string, deleteAfter: boolean): Promise<void> {
    const batch = (this.batch ??= newBatch());
    batch.acks.push({ stream, id, deleteAfter });
    if (batch.acks.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return batch.done;
  }

  /** Send what is queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const byStream = new Map<string, PendingAck[]>();
    for (const a of batch.acks) {
      const list = byStream.get(a.stream);
      if (list) list.push(a);
      else byStream.set(a.stream, [a]);
    }
    // One pipeline on a single server; on a cluster one per stream, as a pipeline must stay on one slot.
    const groups = isCluster(this.client) ? [...byStream].map((e) => [e]) : [[...byStream]];
    const sent = groups.map((streams) => {
      const pipeline = this.client.pipeline();
      for (const [stream, acks] of streams) {
        pipeline.xack(stream, this.group, ...acks.map((a) => a.id));
        const dels = acks.filter((a) => a.deleteAfter).map((a) => a.id);
        if (dels.length > 0) pipeline.xdel(stream, ...dels);
      }
      return pipeline.exec().then((results) => {
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      });
    });
    Promise.all(sent).then(
      () => batch.resolve(),
      (err: unknown) => batch.reject(err),
    );
    const settled = batch.done.then(
      () => undefined,
      () => undefined,
    );
    this.flushing.add(settled);
    void settled.then(() => this.flushing.delete(settled));
  }

  /** Flush and wait for every ack sent so far. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.flushing]);
  }
}
