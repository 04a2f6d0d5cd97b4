/**
 * Batches XACKs: acks issued in the same tick go out as one XACK per stream (and one XDEL for entries
 * of a group's retry stream, which only that group reads), pipelined.
 */
import type { Redis } from "ioredis";

interface PendingAck {
  stream: string;
  id: string;
  deleteAfter: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** XACK batcher for one group. */
export class AckBatcher {
  private queue: PendingAck[] = [];
  private scheduled = false;
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly client: Redis,
    private readonly group: string,
    private readonly maxBatch = 512,
  ) {}

  /** Acknowledge `id` in `stream`; resolves when Redis replied. */
  ack(stream: string, id: string, deleteAfter: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, id, deleteAfter, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Send what is queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const byStream = new Map<string, PendingAck[]>();
    for (const a of batch) {
      const list = byStream.get(a.stream);
      if (list) list.push(a);
      else byStream.set(a.stream, [a]);
    }
    const pipeline = this.client.pipeline();
    for (const [stream, acks] of byStream) {
      pipeline.xack(stream, this.group, ...acks.map((a) => a.id));
      const dels = acks.filter((a) => a.deleteAfter).map((a) => a.id);
      if (dels.length > 0) pipeline.xdel(stream, ...dels);
    }
    const done = pipeline.exec().then(
      (results) => {
        const failed = results?.find(([err]) => err);
        for (const a of batch) {
          if (failed) a.reject(failed[0]);
          else a.resolve();
        }
      },
      (err: unknown) => {
        for (const a of batch) a.reject(err);
      },
    );
    this.flushing.add(done);
    void done.finally(() => this.flushing.delete(done));
  }

  /** Flush and wait for every ack sent so far. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.flushing]);
  }
}
