/** The Redis Streams part of the topology spec. */
import { z } from "zod";
import { actors, duration, name, retry } from "./common.js";

export const streamGroup = z.strictObject({
  name,
  retry: retry.optional(),
  /** Entries past their attempts go to the group's dead-letter stream. @defaultValue true */
  deadLetter: z.boolean().optional(),
  /**
   * The group exists already (its owner created it): mqa checks that it does and never creates it; `mqa
   * topology apply` leaves it out. @defaultValue false
   */
  existing: z
    .boolean()
    .optional()
    .describe(
      "The group exists already (created by the stream's owner): mqa checks it and never creates it (default false)",
    ),
  consumers: actors.optional(),
});

/** How another program lays out its entries, so mqa reads and writes them as it does. */
export const fieldMapping = z
  .strictObject({
    /** The field holding the payload; `"*"`: every field, as one JSON object `{"field":"value",…}`. */
    payload: z
      .string()
      .min(1)
      .describe('The field holding the payload; "*" = the whole field map as one JSON object'),
    /** Content type to assume. @defaultValue none (the route's codec decides, JSON by default) */
    contentType: z
      .string()
      .min(1)
      .optional()
      .describe("Content type to assume for the payload (default: none, the route's codec decides)"),
    /** The field holding the message id. @defaultValue the entry id */
    id: z
      .string()
      .min(1)
      .refine((v) => v !== "*", { message: '"*" is not a field: name the field holding the message id' })
      .optional()
      .describe("The field holding the message id (default: the entry id)"),
  })
  .describe("Field layout of another program's entries (entries with a field m are mqa's own)");

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
  /** The topic; partition streams are named from it, unless `key` names the stream. */
  name,
  /** The stream key as it is on the server (a stream another program owns). @defaultValue `<keyPrefix>:{name}` */
  key: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      "The stream key as it is on the server (e.g. a stream another program owns); one partition; default <keyPrefix>:{name}",
    ),
  /** Field layout of the stream's entries, when another program writes them. @defaultValue mqa's own layout */
  fields: fieldMapping.optional(),
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
  keyPrefix: z.string().min(1).optional(),
  streams: z.array(stream).optional(),
});
