/**
 * One timer for the deadlines of many operations, instead of a timer (or AbortSignal) per operation.
 * Operations with the same timeout are queued in arrival order, which is also deadline order, so expiring
 * them is popping heads; one timer is armed for the earliest head. Finished operations are not removed
 * from the middle (that would cost per message): they are skipped and dropped once they reach a head.
 * Expiry is therefore exact up to timer lateness (the event loop being busy), like a per-message timer.
 */

/** An operation with a deadline. `done` is set by the owner once it settled any other way. */
export interface Deadlined {
  /** Epoch ms after which the operation expires. */
  readonly deadline: number;
  done: boolean;
}

/** FIFO with a moving head (Array#shift is O(n) on large arrays). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  pop(): void {
    this.items[this.head++] = undefined;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  get size(): number {
    return this.items.length - this.head;
  }
}

/** Expires operations whose deadline passed by calling `onExpire` once for each (never for `done` ones). */
export class DeadlineSweep<T extends Deadlined> {
  /** One queue per timeout length: within a queue, arrival order is deadline order. */
  private readonly queues = new Map<number, Fifo<T>>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(private readonly onExpire: (op: T) => void) {}

  /** Track `op`, whose deadline is `timeoutMs` after now (so it was created with that timeout). */
  add(op: T, timeoutMs: number): void {
    let q = this.queues.get(timeoutMs);
    if (!q) {
      q = new Fifo<T>();
      this.queues.set(timeoutMs, q);
    }
    // Drop finished heads as we go, so the queue stays about as long as the in-flight window.
    for (let head = q.peek(); head?.done; head = q.peek()) q.pop();
    q.push(op);
    if (op.deadline < this.armedFor) this.arm(op.deadline);
  }

  /** Expire everything now (e.g. on close), in arrival order per queue. */
  expireAll(): void {
    this.disarm();
    for (const q of this.queues.values()) {
      for (let op = q.peek(); op; op = q.peek()) {
        q.pop();
        if (!op.done) this.onExpire(op);
      }
    }
  }

  /**
   * Forget every tracked operation and stop the timer. For the owner that knows none is unfinished
   * (so an idle publisher holds no timer that would keep the process alive).
   */
  clear(): void {
    this.disarm();
    this.queues.clear();
  }

  private arm(at: number): void {
    this.disarm();
    this.armedFor = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - Date.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [timeoutMs, q] of this.queues) {
      for (let op = q.peek(); op; op = q.peek()) {
        if (!op.done && op.deadline > now) {
          next = Math.min(next, op.deadline);
          break;
        }
        q.pop();
        if (!op.done) this.onExpire(op);
      }
      if (q.size === 0) this.queues.delete(timeoutMs);
    }
    if (next !== Infinity && next < this.armedFor) this.arm(next);
  }
}

/**
 * The deadline of one operation, expired by a {@link DeadlineSweep}: what a per-operation
 * `AbortSignal.timeout` gave, without a timer per operation. Waiters register one callback at a time
 * (an operation waits for one thing at a time); `signal` makes a real AbortSignal only when an API
 * needs one (the slow path, e.g. waiting for a connection).
 */
export class Deadline implements Deadlined {
  done = false;
  aborted = false;
  reason: unknown = undefined;
  private waiter: (() => void) | undefined;
  private controller: AbortController | undefined;

  constructor(readonly deadline: number) {}

  /** Called by the sweep (or on close): mark aborted and wake whoever waits. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.done = true;
    this.reason = reason;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
    this.controller?.abort(reason);
  }

  /** Run `fn` once when this deadline aborts (replacing any earlier callback); `undefined` clears it. */
  onAbort(fn: (() => void) | undefined): void {
    this.waiter = fn;
  }

  /** The operation finished: the sweep drops it without expiring it. */
  finish(): void {
    this.done = true;
    this.waiter = undefined;
  }

  /** An AbortSignal that aborts with this deadline (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}
