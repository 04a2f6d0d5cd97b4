/** The Redis Streams part of the topology spec. */
import { z } from "zod";
import { actors, duration, name, retry } from "./common.js";

export const streamGroup = z.strictObject({
  name,
  /** Where a new group starts reading: `$` (new entries only) or `0` (the whole stream). @defaultValue "$" */
  startId: z.union([z.literal("$"), z.literal("0"), z.string().regex(/^\d+-\d+$/)]).optional(),
  retry: retry.optional(),
  /** Entries past their attempts go to `<stream>:dlq`. @defaultValue true */
  deadLetter: z.boolean().optional(),
  consumers: actors.optional(),
});

/** Bounds on a stream; trimming never removes entries a group has not acknowledged (the transport's rule). */
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
  partitions: z.number().int().min(1).max(1024).optional(),
  retention: retention.optional(),
  groups: z.array(streamGroup).optional(),
  publishers: actors.optional(),
});

export const redis = z.strictObject({
  /** Prefix of every key mqa creates. @defaultValue "" */
  keyPrefix: z.string().optional(),
  streams: z.array(stream).optional(),
});
