/**
 * Idempotent consumers: a message whose id was already handled successfully is acked without running
 * the handler again. At-least-once delivery makes duplicates normal (a redelivery after a lost ack);
 * this middleware makes them harmless. The store decides the scope: {@link MemoryIdempotencyStore} for
 * one process, or your own (Redis, SQL) across processes.
 *
 * A has/add store records the id *after* the handler, so a crash between the handler's effect and `add`
 * still applies the effect twice. For effects applied exactly once across processes and crashes, use the
 * inbox (`mqa/inbox`, docs/inbox.md): it commits the record with the handler's own writes.
 */
import type { Middleware } from "../core/context.js";

/** Remembers handled message ids. */
export interface IdempotencyStore {
  /** True if `key` was recorded and has not expired. */
  has(key: string): Promise<boolean>;
  /** Record `key` as handled for `ttlMs`. */
  add(key: string, ttlMs: number): Promise<void>;
}

/** In-process store with expiry and a size bound (oldest entries evicted first). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}

  async has(key: string): Promise<boolean> {
    const expires = this.entries.get(key);
    if (expires === undefined) return false;
    if (expires < Date.now()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }

  async add(key: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, Date.now() + ttlMs);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

export interface IdempotencyOptions {
  store?: IdempotencyStore;
  /** How long a handled id is remembered, ms. @defaultValue 86400000 (24 h) */
  ttlMs?: number;
  /** Key for a message. @defaultValue group + message id */
  key?: (message: { id: string; topic: string }, group: string) => string;
  /** Called for every duplicate skipped. */
  onDuplicate?: (messageId: string) => void;
}

/** Skip (ack) messages whose id was already handled; run the handler at most once per id at a time. */
export function idempotency(options: IdempotencyOptions = {}): Middleware {
  const store = options.store ?? new MemoryIdempotencyStore();
  const ttlMs = options.ttlMs ?? 86_400_000;
  const keyOf = options.key ?? ((m, group) => `${group}:${m.id}`);
  const running = new Set<string>();
  return (next) => async (ctx) => {
    const key = keyOf(ctx.message, ctx.delivery.group);
    if (running.has(key) || (await store.has(key))) {
      options.onDuplicate?.(ctx.message.id);
      ctx.logger.debug({ messageId: ctx.message.id }, "duplicate skipped");
      if (running.has(key)) {
        // A copy is still being handled here; let the broker offer this one again later rather than ack it.
        await ctx.delivery.retry({ delayMs: 1000, countAttempt: false });
      } else {
        await ctx.delivery.ack();
      }
      return;
    }
    running.add(key);
    try {
      await next(ctx);
      await store.add(key, ttlMs);
    } finally {
      running.delete(key);
    }
  };
}
