/** Dead-letter tooling over any transport with {@link DeadLetterQueues}: the library behind `mqa dlq`. */
export * from "./filter.js";
export * from "./browse.js";
export * from "./stats.js";
export * from "./view.js";
export * from "./redrive-copy.js";
export * from "./redrive.js";
export * from "./purge.js";
export * from "./ndjson.js";
export * from "./list-all.js";
export * from "./list-redis.js";
export * from "./list-amqp.js";
export type { DeadLetterQueues } from "../core/dead-letter-queues.js";
