/** Building blocks shared by the RabbitMQ and Redis parts of the topology spec. */
import { z } from "zod";
import { DURATION_PATTERN } from "../duration.js";

const utf8 = new TextEncoder();

/**
 * A resource name: non-empty, at most 255 bytes of UTF-8 (RabbitMQ's limit for short strings: 255 characters
 * of `é` are 510 bytes, which the broker refuses mid-declaration).
 */
export const name = z
  .string()
  .min(1)
  .max(255) // kept for the JSON Schema (characters); the bytes are checked below
  .refine((s) => utf8.encode(s).length <= 255, {
    error: "must be at most 255 bytes of UTF-8 (RabbitMQ's limit)",
  });

/** `500ms`, `1s`, `5m`, `2h`, `7d`, or milliseconds. */
export const duration = z.union([
  z.number().int().nonnegative(),
  z.string().regex(DURATION_PATTERN, { error: "expected a duration such as 500ms, 1s, 5m, 2h or 7d" }),
]);

/** Text form of a backoff: `exponential 1s..5m`, `exponential 1s..5m x3`, `fixed 10s`. */
export const BACKOFF_PATTERN =
  /^(?:exponential\s+(\d+(?:\.\d+)?(?:ms|s|m|h|d))\.\.(\d+(?:\.\d+)?(?:ms|s|m|h|d))(?:\s+x(\d+(?:\.\d+)?))?|fixed\s+(\d+(?:\.\d+)?(?:ms|s|m|h|d)))$/;

/** How long to wait before each retry. */
export const backoff = z.union([
  z.string().regex(BACKOFF_PATTERN, {
    error: "expected a backoff such as `exponential 1s..5m`, `exponential 1s..5m x3` or `fixed 10s`",
  }),
  z.strictObject({
    type: z.literal("exponential"),
    min: duration,
    max: duration,
    /** @defaultValue 2 */
    multiplier: z.number().min(1).max(100).optional(),
  }),
  z.strictObject({ type: z.literal("fixed"), delay: duration }),
]);

/** Retry pattern: broker-side delays between attempts, then the dead-letter queue. */
export const retry = z.strictObject({
  /** Total attempts, the first delivery included. */
  attempts: z.number().int().min(1).max(100),
  /** @defaultValue `exponential 1s..5m` */
  backoff: backoff.optional(),
});

/** Names of the services that publish or consume, for diagrams only. */
export const actors = z.array(name);
