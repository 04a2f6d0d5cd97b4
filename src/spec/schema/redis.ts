/** The Redis Streams part of the topology spec. */
import { z } from "zod";
import { actors, duration, name, retry } from "./common.js";

export const streamGroup = z.strictObject({
  name,
  retry: retry.optional(),
  /** Entries past their attempts go to the group's dead-letter stream. @defaultValue true */
  deadLetter: z.boolean().optional(),
  consumers: actors.optional(),
});

/**
 * Bounds on a stream, one of the two (the transport trims by one policy); trimming never removes entries a
 * group has not acknowledged (the transport's rule).
 */
export const retention = z.strictObject({
  /** Keep about this many entries (`MAXLEN ~`). */
  maxLength: z.number().int().positive().optional(),
  /** Keep entries younger than this (`MINID`). */
  maxAge: duration.optional(),
});

export const stream = z.strictObject({
  /** The topic; partition streams are named from it. */
  name,
  /** @defaultValue 1 */
  partitions: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .optional()
    .describe("Partition streams, one hash tag each (default 1)"),
  retention: retention
    .optional()
    .describe("maxLength or maxAge; trimming never drops unacknowledged entries"),
  groups: z.array(streamGroup).optional(),
  publishers: actors.optional(),
});

export const redis = z.strictObject({
  /** Prefix of every key, as the transport's `keyPrefix` (`<prefix>:{topic}`). @defaultValue "mqa" */
  keyPrefix: z.string().optional(),
  streams: z.array(stream).optional(),
});
