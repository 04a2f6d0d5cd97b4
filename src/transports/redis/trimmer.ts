/**
 * Runs trim-stream.lua for topics with a trim policy, at most once per interval per stream, after
 * publishes. Trimming never removes an entry a group still needs (see lua/trim-stream.ts).
 */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import { BoundedMap } from "../bounded-map.js";
import type { TrimPolicy } from "./naming.js";
import { scripts } from "./scripts.js";

/** Trim one stream now; returns how many entries were removed. */
export async function trimStream(
  client: RedisClient,
  stream: string,
  policy: NonNullable<TrimPolicy>,
): Promise<number> {
  const args = "maxLen" in policy ? ["maxlen", policy.maxLen] : ["maxage", policy.maxAgeMs];
  const reply = (await scripts.trimStream.run(client, [stream], args)) as [number, string];
  return reply[0];
}

/** Streams whose last trim time is remembered; a stream forgotten past this is only trimmed sooner. */
const REMEMBERED_STREAMS = 10_000;

/** Schedules trims so a busy publisher runs at most one per stream per interval. */
export class StreamTrimmer {
  private readonly last = new BoundedMap<string, number>(REMEMBERED_STREAMS);
  private readonly running = new Set<string>();
  /** Entries removed so far. */
  trimmed = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  /** Note a publish to `stream`; trims in the background when the interval has passed. */
  touch(stream: string, policy: TrimPolicy): void {
    if (!policy || this.running.has(stream)) return;
    const now = Date.now();
    if (now - (this.last.get(stream) ?? 0) < this.intervalMs) return;
    this.last.set(stream, now);
    this.running.add(stream);
    trimStream(this.client, stream, policy)
      .then((n) => {
        this.trimmed += n;
        if (n > 0) this.logger.debug({ stream, trimmed: n }, "trimmed stream");
      })
      .catch((err: unknown) => this.logger.warn({ stream, err: String(err) }, "trim failed; will try again"))
      .finally(() => this.running.delete(stream));
  }
}
