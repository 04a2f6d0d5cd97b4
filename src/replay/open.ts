/**
 * `openReplay`: a reader on a topic of the broker at a URL. Picks the broker's source by the URL's scheme
 * (loaded on demand, so RabbitMQ never loads the Redis client and vice versa), loads the checkpoint, and
 * wraps the source in a {@link ReplayReader}.
 */
import { MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import { validateSpec } from "../spec/parse.js";
import { parseReplayOptions, type ReplayOptions } from "./options.js";
import { ReplayReader } from "./reader.js";
import type { ReplaySource, SourceSpec } from "./types.js";

/** Default number of messages per batch. */
export const DEFAULT_BATCH_SIZE = 100;

/**
 * Open a replay reader on `topic` at `url` (`amqp://`, `amqps://`, `redis://`, `rediss://`). Throws
 * `invalid-options` for bad options, `not-found` when the topic keeps no history there, `unsupported` for the
 * embedded `memory://` broker (it keeps no history).
 */
export async function openReplay(
  url: string,
  topic: string,
  options: ReplayOptions = {},
): Promise<ReplayReader> {
  const o = parseReplayOptions(options);
  if (typeof topic !== "string" || topic.length === 0)
    throw new MqaError("invalid-options", "replay needs a topic name");
  const topology =
    o.topology === undefined ? undefined : validateSpec(o.topology, "(replay options.topology)");
  const protocol = protocolOf(url);
  if (protocol === "memory:")
    throw new MqaError(
      "unsupported",
      "replay is not available on the embedded memory:// broker: it keeps no message once every group has it. " +
        "Replay reads RabbitMQ stream queues (amqp://) and Redis Streams (redis://)",
    );
  if (!["amqp:", "amqps:", "redis:", "rediss:"].includes(protocol))
    throw new MqaError(
      "invalid-options",
      `cannot replay from ${maskUrl(url)}: expected an amqp://, amqps://, redis:// or rediss:// URL`,
    );
  const saved = o.checkpoint ? await o.checkpoint.store.load(o.checkpoint.name) : undefined;
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
  const spec: SourceSpec = {
    topic,
    start: saved !== undefined ? { after: saved } : { from: o.from ?? "start" },
    to: o.to ?? (o.follow ? undefined : "now"),
    follow: o.follow ?? false,
    batchSize,
  };
  let source: ReplaySource;
  if (protocol === "amqp:" || protocol === "amqps:") {
    const { openAmqpSource } = await import("./amqp.js");
    source = await openAmqpSource(url, spec, {
      ...(o.queue === undefined ? {} : { queue: o.queue }),
      ...(topology === undefined ? {} : { topology }),
      ...(o.tls === undefined ? {} : { tls: o.tls }),
    });
  } else {
    const { openRedisSource } = await import("./redis.js");
    const stream = topology?.redis?.streams?.find((s) => s.name === topic);
    const keyPrefix = o.keyPrefix ?? topology?.redis?.keyPrefix;
    const key = o.key ?? stream?.key;
    const fields = o.fields ?? stream?.fields;
    source = await openRedisSource(url, spec, {
      ...(keyPrefix === undefined ? {} : { keyPrefix }),
      ...(key === undefined ? {} : { key }),
      ...(fields === undefined ? {} : { fields }),
      ...(o.tls === undefined ? {} : { tls: o.tls }),
    });
  }
  return new ReplayReader(source, batchSize, o.checkpoint, saved);
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch (cause) {
    throw new MqaError("invalid-options", `not a broker URL: ${maskUrl(String(url))}`, { cause });
  }
}
