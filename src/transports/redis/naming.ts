/**
 * Key names of the Redis Streams transport, and what a declaration creates. Pure: no I/O, so the
 * topology, audit and monitor code can compute the same names without a connection.
 *
 * Layout (prefix `mqa`, topic `orders`, group `billing`):
 *
 * | key                                   | type   | what                                             |
 * | ------------------------------------- | ------ | ------------------------------------------------ |
 * | `mqa:{orders}`                        | stream | the topic (one partition)                        |
 * | `mqa:{orders#3}`                      | stream | partition 3 of a partitioned topic               |
 * | `mqa:{orders}:retry:billing`          | stream | retries of group billing, read with the topic    |
 * | `mqa:{orders}:delayed:billing`        | zset   | retries waiting for their due time (score = ms)  |
 * | `mqa:{orders}:dlq:billing`            | stream | dead letters of group billing                    |
 * | `mqa:{orders#3}:lease:billing`        | string | which consumer owns partition 3 (partitioned)    |
 * | `mqa:{orders}:members:billing`        | zset   | live consumers of the group (partitioned)        |
 * | `mqa:{orders}:meta`                   | hash   | the topic's partition count                      |
 *
 * A topic can instead name its stream as it is on the server (`topics.<topic>.key`, a stream another
 * program owns): it then has exactly one partition, the stream key is used as given, and mqa's own keys for
 * it sit under `<prefix>:{<tag>}:key:<escaped stream key>` (stream `shop{eu}:orders` → `mqa:{eu}:key:shop%7Beu%7D:orders`):
 *
 * | key                                             | type   | what                                   |
 * | ----------------------------------------------- | ------ | -------------------------------------- |
 * | `orders`                                        | stream | the topic: the other program's stream  |
 * | `mqa:{orders}:key:orders:retry:billing`         | stream | retries of group billing               |
 * | `mqa:{orders}:key:orders:delayed:billing`       | zset   | delayed retries                        |
 * | `mqa:{orders}:key:orders:dlq:billing`           | stream | dead letters of group billing          |
 * | `mqa:{orders}:key:orders:meta`                  | hash   | partition count (always 1)             |
 *
 * `<tag>` is the stream key's own hash tag when it has one (`{eu}` in `shop{eu}:orders`), else the whole
 * key, so every key of the topic hashes to the stream's Redis Cluster slot. The `:key:` segment keeps these
 * names apart from every mqa-convention topic's keys (those continue with `:retry:`, `:dlq:`, … right after
 * their tag), and the escaped stream key keeps two stream keys apart.
 *
 * Hash tags: every key of one partition carries the partition's tag (`{orders}` or `{orders#3}`), so
 * the Lua scripts that touch a stream, its retry stream, its delayed set and its DLQ together run on
 * one Redis Cluster slot, while different partitions hash to different slots and spread over the
 * cluster. The dead-letter stream is `<stream>:dlq:<group>`: per group, because a dead letter belongs
 * to the group that gave up on it (another group may have handled the same entry fine).
 *
 * Topic names are escaped inside the tag (`{`, `}`, `#`, `%`, whitespace → `%XX`), so no topic can
 * break the tag or collide with another topic's partition.
 */

/** Default prefix of every key. @defaultValue "mqa" */
export const DEFAULT_KEY_PREFIX = "mqa";

/** Escape what would break a hash tag or make two names collide. Reversible with {@link unescapeName}. */
export function escapeName(name: string): string {
  return name.replace(/[{}#%\s]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
}

/** Undo {@link escapeName}. */
export function unescapeName(escaped: string): string {
  return escaped.replace(/%([0-9A-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/**
 * The hash tag mqa's own keys of a foreign stream key carry, so they hash to the stream's Redis Cluster
 * slot: the key's own tag (the text between its first `{` and the first `}` after it, when not empty), or
 * else the whole key. `sameSlot` is false for a key with braces but no valid tag (`a{}b`, `a}b`): Cluster
 * hashes such a key whole, braces included, and a tag cannot hold those braces, so the escaped key is used
 * and the companion keys may sit on another slot than the stream (fine on a single server, not in a Cluster).
 */
export function streamKeyTag(streamKey: string): { readonly tag: string; readonly sameSlot: boolean } {
  const open = streamKey.indexOf("{");
  if (open >= 0) {
    const close = streamKey.indexOf("}", open + 1);
    if (close > open + 1) return { tag: streamKey.slice(open + 1, close), sameSlot: true };
  }
  if (!/[{}]/.test(streamKey)) return { tag: streamKey, sameSlot: true };
  return { tag: escapeName(streamKey), sameSlot: false };
}

/** The keys of one partition stream and of one group on it. */
export interface PartitionKeys {
  /** Partition number, 0-based (0 for an unpartitioned topic). */
  readonly partition: number;
  /** The stream messages are published to. */
  readonly stream: string;
  /** Retries of the group, XADDed here (immediately or by the delayed mover) and read with `stream`. */
  readonly retry: string;
  /** Sorted set of delayed retries: member = packed entry, score = due time in ms. */
  readonly delayed: string;
  /** The group's dead-letter stream. */
  readonly dlq: string;
  /** Partition ownership lease (only used when the topic has more than one partition). */
  readonly lease: string;
}

/**
 * Names for a prefix and the topics that name their own stream key. Construct once per transport (and
 * once per spec in the topology tool), so every part of mqa computes the same names.
 */
export class RedisKeyNames {
  private readonly streamKeys: ReadonlyMap<string, string>;

  /**
   * @param prefix - prefix of every key mqa names itself
   * @param streamKeys - topic → the stream key it names on the server (`topics.<topic>.key`); other topics
   * follow mqa's convention `<prefix>:{topic}`
   */
  constructor(
    readonly prefix: string = DEFAULT_KEY_PREFIX,
    streamKeys: ReadonlyMap<string, string> | Readonly<Record<string, string>> = new Map(),
  ) {
    if (prefix.includes("{") || prefix.includes("}")) {
      throw new RangeError(`key prefix ${JSON.stringify(prefix)} must not contain { or } (hash tag braces)`);
    }
    this.streamKeys = streamKeys instanceof Map ? streamKeys : new Map(Object.entries(streamKeys));
    for (const [topic, key] of this.streamKeys) {
      if (topic.length === 0) throw new RangeError("topic name must not be empty");
      if (key.length === 0) throw new RangeError(`the stream key of topic ${JSON.stringify(topic)} is empty`);
    }
  }

  /** The stream key `topic` names on the server, or undefined when it follows mqa's convention. */
  streamKeyOf(topic: string): string | undefined {
    return this.streamKeys.get(topic);
  }

  /**
   * Where mqa's own keys of a topic that names its stream key start: `<prefix>:{<tag>}:key:<escaped key>`
   * (see {@link streamKeyTag}).
   */
  private companionBase(streamKey: string): string {
    return `${this.prefix}:{${streamKeyTag(streamKey).tag}}:key:${escapeName(streamKey)}`;
  }

  /** Hash tag of one partition: `{topic}` when unpartitioned, `{topic#n}` otherwise. */
  tag(topic: string, partition: number, partitions: number): string {
    // An empty tag `{}` would hash the whole key and scatter a partition's keys over slots.
    if (topic.length === 0) throw new RangeError("topic name must not be empty");
    const key = this.streamKeys.get(topic);
    if (key !== undefined) return `{${streamKeyTag(key).tag}}`;
    const t = escapeName(topic);
    return partitions <= 1 ? `{${t}}` : `{${t}#${partition}}`;
  }

  /** The stream of one partition. */
  stream(topic: string, partition = 0, partitions = 1): string {
    const key = this.streamKeys.get(topic);
    if (key !== undefined) {
      if (partitions > 1 || partition !== 0)
        throw new RangeError(
          `topic ${JSON.stringify(topic)} names the stream key ${JSON.stringify(key)}: it has exactly one partition`,
        );
      return key;
    }
    return `${this.prefix}:${this.tag(topic, partition, partitions)}`;
  }

  /** Every stream of a topic, partition 0 first. */
  streams(topic: string, partitions = 1): string[] {
    return Array.from({ length: Math.max(1, partitions) }, (_, p) => this.stream(topic, p, partitions));
  }

  /** All keys of one partition for one group. */
  partition(topic: string, group: string, partition = 0, partitions = 1): PartitionKeys {
    const stream = this.stream(topic, partition, partitions);
    if (group.length === 0) throw new RangeError("group name must not be empty");
    const g = escapeName(group);
    const key = this.streamKeys.get(topic);
    // A foreign stream's keys hang off mqa's own base, never off the stream key itself (not ours to extend).
    const base = key === undefined ? stream : this.companionBase(key);
    return {
      partition,
      stream,
      retry: `${base}:retry:${g}`,
      delayed: `${base}:delayed:${g}`,
      dlq: `${base}:dlq:${g}`,
      lease: `${base}:lease:${g}`,
    };
  }

  /** All keys of a group, one entry per partition. */
  group(topic: string, group: string, partitions = 1): PartitionKeys[] {
    return Array.from({ length: Math.max(1, partitions) }, (_, p) =>
      this.partition(topic, group, p, partitions),
    );
  }

  /** Where a topic's own (not per-partition) keys start, in the topic's own slot. */
  private topicBase(topic: string): string {
    const key = this.streamKeys.get(topic);
    return key === undefined ? `${this.prefix}:{${escapeName(topic)}}` : this.companionBase(key);
  }

  /** Live members of a group on a partitioned topic (heartbeat zset), in the topic's own slot. */
  members(topic: string, group: string): string {
    return `${this.topicBase(topic)}:members:${escapeName(group)}`;
  }

  /**
   * Facts about a topic every process must agree on (hash, field `partitions`), in the topic's own
   * slot. Written once by the first declaration; a process configured differently fails loudly.
   */
  meta(topic: string): string {
    return `${this.topicBase(topic)}:meta`;
  }

  /**
   * Pattern matching every key of a topic mqa names itself (for SCAN in tests, audit and cleanup): for a
   * topic that names its stream key, mqa's companion keys only, not the other program's stream.
   */
  topicPattern(topic: string): string {
    const glob = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
    const key = this.streamKeys.get(topic);
    if (key !== undefined) return `${glob(this.companionBase(key))}:*`;
    return `${this.prefix}:{${glob(escapeName(topic))}*`;
  }
}

/** Which partition a key goes to: FNV-1a (32 bit) of the UTF-8 key, modulo the partition count (shared with RabbitMQ). */
export { partitionForKey } from "../../core/partition-key.js";

/** Stream trimming policy. Trimming never goes past the oldest entry some group still needs. */
export type TrimPolicy = { readonly maxLen: number } | { readonly maxAgeMs: number } | undefined;

/** One step a declaration performs, for `plan`/`apply` and dry runs. */
export type DeclarationStep =
  | {
      readonly kind: "meta";
      readonly key: string;
      readonly partitions: number;
      /** `HSETNX <key> partitions <n>`; a different stored count fails with `precondition-failed`. */
      readonly command: string;
    }
  | {
      readonly kind: "stream";
      readonly key: string;
      readonly partition: number;
      /** Streams are created by `XGROUP CREATE … MKSTREAM`, never by an empty XADD. */
      readonly command: string;
    }
  | {
      readonly kind: "group";
      readonly stream: string;
      readonly group: string;
      /**
       * Where a new group starts: `0` (every retained entry) when the stream has no group yet, so
       * messages published before any group existed are kept for the first one ("retain"); `$` (only
       * new entries) when other groups already exist, so a late group does not replay their history.
       * Decided atomically on the server by `declare-group.lua`. An existing group is left as it is.
       * `existing`: the group must exist already (`groups.<group>.existing`); mqa checks it with
       * XINFO GROUPS and never creates it (nor its stream).
       */
      readonly start: "0-if-first-group-else-$" | "0" | "existing";
      readonly command: string;
    }
  | {
      readonly kind: "lazy";
      readonly key: string;
      readonly type: "zset" | "stream" | "string";
      /** Created on first use (delayed retry, first dead letter, partition lease). */
      readonly purpose: "delayed-retries" | "dead-letters" | "partition-lease" | "members";
    }
  | {
      readonly kind: "trim";
      readonly stream: string;
      readonly policy: NonNullable<TrimPolicy>;
      /** Trimming is `XTRIM MINID ~ <floor>`, floor = the oldest entry any group still needs. */
      readonly command: string;
    };

/** What to declare: a topic, one group on it, and what to build around it. */
export interface DeclarationInput {
  readonly topic: string;
  readonly group: string;
  /** @defaultValue 1 */
  readonly partitions?: number;
  /** @defaultValue true */
  readonly deadLetter?: boolean;
  readonly trim?: TrimPolicy;
  /**
   * The group exists already on the topic's stream (created by the program that owns it): checked, never
   * created. mqa's own retry stream group is still created. @defaultValue false
   */
  readonly existing?: boolean;
}

/** List what declaring `input` creates, in order. Pure; the transport executes exactly these steps. */
export function planDeclaration(names: RedisKeyNames, input: DeclarationInput): DeclarationStep[] {
  const partitions = Math.max(1, input.partitions ?? 1);
  const group = escapeName(input.group);
  const meta = names.meta(input.topic);
  const steps: DeclarationStep[] = [
    { kind: "meta", key: meta, partitions, command: `HSETNX ${meta} partitions ${partitions}` },
  ];
  const existing = input.existing === true;
  for (const keys of names.group(input.topic, input.group, partitions)) {
    steps.push({
      kind: "stream",
      key: keys.stream,
      partition: keys.partition,
      command: existing
        ? "exists already (its group is existing; mqa never creates it)"
        : "created by the group step (XGROUP CREATE … MKSTREAM)",
    });
    steps.push(
      existing
        ? {
            kind: "group",
            stream: keys.stream,
            group: input.group,
            start: "existing",
            command: `XINFO GROUPS ${keys.stream} (must list ${group}; never created)`,
          }
        : {
            kind: "group",
            stream: keys.stream,
            group: input.group,
            start: "0-if-first-group-else-$",
            command: `EVALSHA declare-group.lua 1 ${keys.stream} ${group}`,
          },
    );
    steps.push({
      kind: "stream",
      key: keys.retry,
      partition: keys.partition,
      command: "created by the group step (XGROUP CREATE … MKSTREAM)",
    });
    steps.push({
      kind: "group",
      stream: keys.retry,
      group: input.group,
      start: "0",
      command: `XGROUP CREATE ${keys.retry} ${group} 0 MKSTREAM`,
    });
    steps.push({ kind: "lazy", key: keys.delayed, type: "zset", purpose: "delayed-retries" });
    if (input.deadLetter ?? true)
      steps.push({ kind: "lazy", key: keys.dlq, type: "stream", purpose: "dead-letters" });
    if (partitions > 1)
      steps.push({ kind: "lazy", key: keys.lease, type: "string", purpose: "partition-lease" });
    if (input.trim) {
      steps.push({
        kind: "trim",
        stream: keys.stream,
        policy: input.trim,
        command: `EVALSHA trim-stream.lua 1 ${keys.stream} … (XTRIM ${keys.stream} MINID ~ <floor>)`,
      });
    }
  }
  if (partitions > 1) {
    steps.push({
      kind: "lazy",
      key: names.members(input.topic, input.group),
      type: "zset",
      purpose: "members",
    });
  }
  return steps;
}
