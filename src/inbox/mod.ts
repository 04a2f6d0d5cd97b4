/** `mqa/inbox`: durable idempotency (the inbox) on PostgreSQL and Redis (docs/inbox.md). */
export {
  inboxMiddleware,
  InboxClosedError,
  type InboxKey,
  type InboxMiddlewareOptions,
  type InboxOutcome,
  type InboxStore,
} from "./inbox.js";
export { PostgresInbox, type PostgresInboxOptions } from "./postgres.js";
export {
  InboxClaimLostError,
  RedisInbox,
  type RedisEvaluator,
  type RedisInboxOptions,
  type RedisInboxWrites,
} from "./redis.js";
