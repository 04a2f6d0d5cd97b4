/**
 * Options of a replay reader, validated once with zod (unknown keys rejected, every problem with its path),
 * and the text forms the CLI takes for `--from` and `--to`.
 */
import { z } from "zod";
import { redisLocationFields } from "../spec/redis-location.js";
import type { BrokerTlsOptions } from "../connect.js";
import { InvalidOptionsError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import type { FieldMapping } from "../transports/redis/layout.js";
import type { CheckpointStore } from "./checkpoint.js";
import type { ReplayFrom, ReplayTo } from "./types.js";

/** Where a reader keeps its position. */
export interface ReplayCheckpoint {
  /** The reader's name: a restarted reader of the same name resumes after the saved cursor. */
  name: string;
  store: CheckpointStore;
  /**
   * `"batch"`: the reader saves after each batch it has handed over. `"manual"`: it only loads; the caller
   * saves `batch.cursor` itself (e.g. `store.save(name, batch.cursor, tx)` in the transaction of its own
   * writes). @defaultValue "batch"
   */
  save?: "batch" | "manual";
}

export interface ReplayOptions {
  /** Where to start when no checkpoint is saved yet (a saved checkpoint wins). @defaultValue "start" */
  from?: ReplayFrom;
  /** Where to stop. @defaultValue `"now"` without `follow`, nothing (never stop) with it */
  to?: ReplayTo;
  /** Keep reading new messages after the end instead of stopping. @defaultValue false */
  follow?: boolean;
  /** Most messages per batch; on RabbitMQ also the prefetch. @defaultValue 100 */
  batchSize?: number;
  checkpoint?: ReplayCheckpoint;
  /** Topology spec: RabbitMQ takes the topic's history (or stream) queue from it; Redis its key and fields. */
  topology?: TopologySpec;
  /** RabbitMQ: read this stream queue as it is (a stream queue of your own). @defaultValue `<topic>.history` */
  queue?: string;
  /** Redis: prefix of mqa's keys (the transport's `keyPrefix`). @defaultValue "mqa" */
  keyPrefix?: string;
  /** Redis: the topic's stream key as it is on the server (a stream another program owns). */
  key?: string;
  /** Redis: field layout of another program's entries. @defaultValue mqa's own layout */
  fields?: FieldMapping;
  /** TLS settings for an `amqps://` or `rediss://` URL. */
  tls?: BrokerTlsOptions;
}

const validDate = z.custom<Date>(
  (v) => v instanceof Date && Number.isFinite(v.getTime()),
  "expected a valid Date",
);
const offset = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(-\d+)?$/, "expected an offset such as 42 or an entry id such as 1700000000000-0"),
]);
const point = z.union([z.strictObject({ offset }), z.strictObject({ timestamp: validDate })]);

const shape = z.strictObject({
  from: z.union([z.literal("start"), point]).optional(),
  to: z.union([z.literal("now"), point]).optional(),
  follow: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  checkpoint: z
    .strictObject({
      name: z.string().min(1).max(200),
      store: z.custom<CheckpointStore>(
        (v) =>
          typeof v === "object" &&
          v !== null &&
          typeof (v as { load?: unknown }).load === "function" &&
          typeof (v as { save?: unknown }).save === "function",
        "expected a CheckpointStore (load and save)",
      ),
      save: z.enum(["batch", "manual"]).optional(),
    })
    .optional(),
  topology: z.custom<TopologySpec>((v) => typeof v === "object" && v !== null).optional(),
  queue: z.string().min(1).max(255).optional(),
  ...redisLocationFields,
  tls: z.custom<BrokerTlsOptions>((v) => typeof v === "object" && v !== null).optional(),
});

/** Validate reader options; throws `invalid-options` naming each problem. */
export function parseReplayOptions(options: ReplayOptions): ReplayOptions {
  return parseOptions(shape, options, "replay options") as ReplayOptions;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The CLI's `--from` / `--to` text: `start` (from only), `now` (to only), an offset or entry id (`42`,
 * `1700000000000-0`), or an ISO 8601 time (`2026-12-03T10:00:00Z`). Throws `invalid-options` naming the flag.
 */
export function parseReplayPoint(text: string, flag: "--from"): ReplayFrom;
export function parseReplayPoint(text: string, flag: "--to"): ReplayTo;
export function parseReplayPoint(text: string, flag: "--from" | "--to"): ReplayFrom | ReplayTo;
export function parseReplayPoint(text: string, flag: "--from" | "--to"): ReplayFrom | ReplayTo {
  const t = text.trim();
  if (flag === "--from" && t === "start") return "start";
  if (flag === "--to" && t === "now") return "now";
  if (/^\d+(-\d+)?$/.test(t)) return { offset: t };
  if (ISO_TIME.test(t)) {
    const date = new Date(t);
    if (Number.isFinite(date.getTime())) return { timestamp: date };
  }
  throw new InvalidOptionsError(
    `${flag} ${JSON.stringify(text)} is not ${flag === "--from" ? "start" : "now"}, an offset (42, or a Redis entry id ` +
      "such as 1700000000000-0) or an ISO 8601 time (2026-12-03T10:00:00Z)",
  );
}
