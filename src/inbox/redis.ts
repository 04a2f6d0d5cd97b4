/**
 * The inbox on Redis. Per delivery: a claim key set with `SET NX PX` (a lease, renewed while the handler
 * runs) keeps a second copy from running at the same time; when the handler succeeds one Lua script checks
 * the claim is still ours, applies the Redis writes the handler queued ({@link RedisInbox.writes}), sets the
 * durable "done" marker (with the retention as its expiry) and drops the claim — atomically. A redelivery
 * that finds the marker is acked without running the handler.
 *
 * What Redis cannot do: make the handler's writes to *another* system (a SQL database, an HTTP call) atomic
 * with the marker. A crash after such a write and before the marker means the handler runs again. Queue the
 * effect as a Redis write, make it idempotent itself, or use {@link PostgresInbox} where the effect lives in
 * PostgreSQL. Queued writes run inside the script on the inbox's connection: on a Redis Cluster all their
 * keys must hash to the slot of the inbox keys (use a `{hash tag}`), which this store does not arrange.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { MessageContext, Middleware } from "../core/context.js";
import { MqaError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import {
  inboxMiddleware,
  inboxWritesOf,
  InboxClosedError,
  type InboxKey,
  type InboxMiddlewareOptions,
  type InboxOutcome,
  type InboxStore,
} from "./inbox.js";

/** The part of an ioredis client the inbox uses (`new Redis(url)`). */
export interface RedisEvaluator {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Redis writes queued by a handler, applied with the "done" marker in one script. */
export interface RedisInboxWrites {
  /** Queue one command, e.g. `call("HINCRBY", "totals", customer, 1)`. Applied only if the handler succeeds. */
  call(command: string, ...args: (string | number)[]): void;
}

export interface RedisInboxOptions {
  redis: RedisEvaluator;
  /** Prefix of the inbox keys (`<prefix>:done:<key>`, `<prefix>:claim:<key>`). @defaultValue "mqa:inbox" */
  prefix?: string;
  /** How long a processed message is remembered, ms. @defaultValue 604800000 (7 days) */
  retentionMs?: number;
  /**
   * Lease of a running delivery's claim, ms, renewed every third of it while the handler runs. When a process
   * dies its claims free themselves after this long. @defaultValue 30000
   */
  claimMs?: number;
  /** Longest a delivery waits for a running copy of itself to finish, ms; then it is deferred. @defaultValue 5000 */
  waitMs?: number;
  /** Most writes one handler may queue. @defaultValue 1000 */
  maxWrites?: number;
}

const shape = z.strictObject({
  redis: z.custom<RedisEvaluator>(
    (v) => typeof v === "object" && v !== null && typeof (v as { eval?: unknown }).eval === "function",
    "expected a Redis client with eval() (ioredis)",
  ),
  prefix: z.string().min(1).max(200).optional(),
  retentionMs: z.number().int().min(1000).max(2_147_483_647_000).optional(),
  claimMs: z.number().int().min(100).max(86_400_000).optional(),
  waitMs: z.number().int().min(0).max(600_000).optional(),
  maxWrites: z.number().int().min(0).max(100_000).optional(),
});

/**
 * Claim a key. KEYS[1] done marker, KEYS[2] claim. ARGV[1] token, ARGV[2] lease ms.
 * Returns 1 claimed, 0 already done, -1 held by another claim.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return -1`;

/**
 * Commit. KEYS[1] done marker, KEYS[2] claim. ARGV[1] token, ARGV[2] retention ms, ARGV[3] JSON array of
 * queued commands. Returns 1 committed, -1 the claim is no longer ours (nothing applied).
 */
const COMMIT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
for _, c in ipairs(cjson.decode(ARGV[3])) do redis.call(unpack(c)) end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1`;

/** Release. KEYS[1] claim. ARGV[1] token. Returns 1 released, 0 not ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Renew. KEYS[1] claim. ARGV[1] token, ARGV[2] lease ms. Returns 1 renewed, 0 not ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** The claim expired and another copy took it before this one committed: nothing of it was applied. */
export class InboxClaimLostError extends MqaError {
  constructor(message: string) {
    super("closed", message);
  }
}

/** Durable idempotency on Redis: a claim while running, a "done" marker after. */
export class RedisInbox implements InboxStore<RedisInboxWrites> {
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly claimMs: number;
  private readonly waitMs: number;
  private readonly maxWrites: number;

  constructor(private readonly options: RedisInboxOptions) {
    parseOptions(shape, options, "RedisInbox options");
    this.prefix = options.prefix ?? "mqa:inbox";
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.claimMs = options.claimMs ?? 30_000;
    this.waitMs = options.waitMs ?? 5000;
    this.maxWrites = options.maxWrites ?? 1000;
  }

  /** The middleware to put in a route's `middleware`. */
  middleware(options: InboxMiddlewareOptions = {}): Middleware {
    return inboxMiddleware(this, this, options);
  }

  /** Queue Redis writes that apply atomically with the "done" marker, only if the handler of `ctx` succeeds. */
  writes(ctx: MessageContext<unknown>): RedisInboxWrites {
    return inboxWritesOf<RedisInboxWrites>(ctx, this);
  }

  /** True if the message with stored key `key` (`<group>:<message id>`) is recorded as processed. */
  async isDone(key: string): Promise<boolean> {
    return (
      (await this.options.redis.eval("return redis.call('EXISTS', KEYS[1])", 1, this.doneKey(key))) === 1
    );
  }

  /** See {@link InboxStore.run}. */
  async run(key: InboxKey, work: (writes: RedisInboxWrites) => Promise<boolean>): Promise<InboxOutcome> {
    const { redis } = this.options;
    const done = this.doneKey(key.key);
    const claim = `${this.prefix}:claim:${key.key}`;
    const token = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const got = Number(await redis.eval(CLAIM, 2, done, claim, token, this.claimMs));
      if (got === 0) return "duplicate";
      if (got === 1) break;
      // Held by a running copy: poll briefly for its outcome rather than defer at once.
      if (Date.now() >= deadline) return "busy";
      await new Promise((r) => setTimeout(r, 25));
    }
    const queued: (string | number)[][] = [];
    let open = true;
    const writes: RedisInboxWrites = {
      call: (command, ...args) => {
        if (!open)
          throw new InboxClosedError(
            `the inbox unit of message ${key.messageId} has ended (the handler ran past its timeout or settled); this write was not queued`,
          );
        if (queued.length >= this.maxWrites)
          throw new MqaError(
            "invalid-options",
            `a handler queued more than ${this.maxWrites} inbox writes for message ${key.messageId}; raise RedisInbox maxWrites or write less per message`,
          );
        queued.push([command, ...args]);
      },
    };
    const renew = setInterval(
      () => void redis.eval(RENEW, 1, claim, token, this.claimMs).catch(() => undefined),
      Math.max(50, Math.floor(this.claimMs / 3)),
    ).unref();
    let commit = false;
    try {
      commit = await work(writes);
    } finally {
      open = false;
      clearInterval(renew);
      if (!commit) await redis.eval(RELEASE, 1, claim, token).catch(() => undefined);
    }
    if (!commit) return "rolled-back";
    const res = Number(
      await redis.eval(COMMIT, 2, done, claim, token, this.retentionMs, JSON.stringify(queued)),
    );
    if (res !== 1)
      throw new InboxClaimLostError(
        `the claim on message ${key.messageId} expired before its handler finished and another copy took it; nothing was applied. Raise RedisInbox claimMs above the handler's running time`,
      );
    return "processed";
  }

  private doneKey(key: string): string {
    return `${this.prefix}:done:${key}`;
  }
}
