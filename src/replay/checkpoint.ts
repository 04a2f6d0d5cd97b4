/**
 * Checkpoints: where a named replay reader stopped, kept outside the process so a restarted reader resumes
 * after it. A store only keeps the reader's cursor (an opaque string, see `ReplayBatch.cursor`); the reader
 * decides when to save it. Implementations: PostgreSQL (checkpoint-postgres.ts, can save in the caller's
 * transaction) and Redis (checkpoint-redis.ts).
 */
import { InvalidOptionsError } from "../core/errors.js";

/** Durable storage of replay cursors by reader name. */
export interface CheckpointStore {
  /** The cursor saved under `name`, or undefined when none was. */
  load(name: string): Promise<string | undefined>;
  /** Save `position` under `name`, replacing what was there; resolves once it is durable. */
  save(name: string, position: string): Promise<void>;
}

/** Checkpoint names: 1 to 200 characters, no control characters (they end up in keys and rows). */
export function assertCheckpointName(name: unknown): asserts name is string {
  const control = typeof name === "string" && [...name].some((c) => c.charCodeAt(0) < 0x20);
  if (typeof name !== "string" || name.length === 0 || name.length > 200 || control)
    throw new InvalidOptionsError(
      `checkpoint name ${JSON.stringify(name)} is not valid: use 1 to 200 characters without control characters`,
    );
}
