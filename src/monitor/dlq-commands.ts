/**
 * The exact `mqa dlq` commands that act on a dead-letter queue the monitor found: derived from mqa's naming
 * where the queue or stream follows it, with placeholders (and a note saying why) where it does not. The
 * broker URL in a command never carries a password: `mqa dlq` takes it from `--password-file` or
 * `MQA_BROKER_PASSWORD`, like every command. Pure: no I/O.
 */
import { DEFAULT_KEY_PREFIX, unescapeName } from "../transports/redis/layout.js";
import type { DeadLetterCommands } from "./snapshot.js";

/** A topic and group as `mqa dlq --topic --group` takes them. */
export interface DlqAddress {
  readonly topic: string;
  readonly group: string;
}

/** One shell word: bare when it holds only safe characters, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `url` without password or query: what a printed command may carry. Undefined when it is not a URL. */
export function withoutPassword(url: string): string | undefined {
  try {
    const u = new URL(url);
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString();
  } catch {
    return undefined;
  }
}

/**
 * The `stats` and `redrive` commands for `address` on `brokerUrl` (already without password). Without an
 * address the group cannot be named from the queue alone: the commands then say `--spec <spec file>` and
 * placeholders, and `note` says why.
 */
export function dlqCommands(
  brokerUrl: string | undefined,
  address: DlqAddress | undefined,
  note?: string,
): DeadLetterCommands {
  const broker = brokerUrl === undefined ? "<broker url>" : shellWord(brokerUrl);
  const where =
    address === undefined
      ? "--spec <spec file> --topic <topic> --group <group>"
      : `--topic ${shellWord(address.topic)} --group ${shellWord(address.group)}`;
  const notes = [
    ...(address === undefined && note !== undefined ? [note] : []),
    ...(brokerUrl === undefined ? ["the broker URL could not be derived: fill in <broker url>"] : []),
  ];
  return {
    stats: `mqa dlq stats --broker ${broker} ${where}`,
    redrive: `mqa dlq redrive --broker ${broker} ${where}`,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/**
 * Topic and group of a Redis dead-letter stream named by mqa's convention with the default prefix:
 * `mqa:{orders}:dlq:billing`, or `mqa:{orders#3}:dlq:billing` for partition 3. A topic that names its own
 * stream key (`mqa:{…}:key:…:dlq:g`) or another prefix needs the spec: `reason` says so.
 */
export function redisDlqAddress(key: string): { address: DlqAddress } | { reason: string } {
  const m = /^([^{}]*):\{([^{}]+)\}:dlq:(.+)$/.exec(key);
  if (!m) {
    return /:key:.*:dlq:/.test(key)
      ? {
          reason: `${key} belongs to a topic that names its own stream key: give the spec that declares it`,
        }
      : { reason: `${key} does not follow mqa's naming <prefix>:{topic}:dlq:<group>` };
  }
  const [, prefix, tag, group] = m as unknown as [string, string, string, string];
  if (prefix !== DEFAULT_KEY_PREFIX)
    return {
      reason: `${key} uses the key prefix '${prefix}', not '${DEFAULT_KEY_PREFIX}': give the spec that sets it`,
    };
  // `#` is escaped inside topic names, so a bare one separates the partition number.
  const topic = tag.replace(/#\d+$/, "");
  return { address: { topic: unescapeName(topic), group: unescapeName(group) } };
}

/**
 * `mqa dlq`'s AMQP URL for a management URL: same host and user, `amqp://` (or `amqps://` behind `https://`),
 * the AMQP `port` the broker reports, and the vhost as the URL's path (none for `/`).
 */
export function amqpUrlFor(
  managementUrl: string,
  vhost: string,
  port: number | undefined,
): string | undefined {
  let u: URL;
  try {
    u = new URL(managementUrl);
  } catch {
    return undefined;
  }
  const secure = u.protocol === "https:";
  const user = u.username === "" ? "guest" : u.username;
  const path = vhost === "/" ? "" : `/${encodeURIComponent(vhost)}`;
  return `${secure ? "amqps" : "amqp"}://${user}@${u.hostname}:${port ?? (secure ? 5671 : 5672)}${path}`;
}
