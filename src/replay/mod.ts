/**
 * `mqa/replay`: read a topic again from the start, an offset or a point in time, on RabbitMQ stream queues
 * and Redis Streams, with durable checkpoints. See docs/replay.md.
 */
export { openReplay, DEFAULT_BATCH_SIZE } from "./open.js";
export { ReplayReader } from "./reader.js";
export { parseReplayPoint, type ReplayCheckpoint, type ReplayOptions } from "./options.js";
export type { ReplayBatch, ReplayFrom, ReplayTo, ReplayedMessage } from "./types.js";
export { type CheckpointStore } from "./checkpoint.js";
export { PostgresCheckpointStore, type PostgresCheckpointOptions } from "./checkpoint-postgres.js";
export {
  RedisCheckpointStore,
  checkpointHashKey,
  type RedisCheckpointOptions,
  type RedisHashClient,
} from "./checkpoint-redis.js";
export { REPLAY_END_HEADER } from "./amqp-marker.js";
