/**
 * What `mqa publish`, `consume` and `tail` are pointed at: an mqa topic (and group), a topology spec's names
 * (`--spec`), or a resource as it already is on the broker (`--exchange`, `--queue` on RabbitMQ; `--stream`
 * on Redis). Turns the flags into a topic, a group and the transport options that make them mean that, and
 * refuses combinations that would mean something else than the user thinks, before connecting.
 */
import { InvalidOptionsError } from "../core/errors.js";
import type { ConnectOptions } from "../connect.js";
import { loadSpecFile } from "../spec/parse.js";
import type { TopologySpec } from "../spec/schema/spec.js";

/** The addressing flags a command takes. */
export interface AddressFlags {
  broker: string;
  topic?: string;
  group?: string;
  spec?: string;
  exchange?: string;
  queue?: string;
  stream?: string;
  payloadField?: string;
  /** `publish --declare <group>`: a group declared before publishing. */
  declare?: string;
}

/** Where the command goes, resolved. */
export interface Address {
  readonly topic: string;
  readonly group: string | undefined;
  readonly connect: ConnectOptions;
  readonly spec: TopologySpec | undefined;
  /** How to say it to the user. */
  readonly describe: string;
}

function schemeOf(broker: string): "amqp" | "redis" | "memory" | "other" {
  const p = /^([a-z]+):/i.exec(broker)?.[1]?.toLowerCase();
  return p === "amqp" || p === "amqps"
    ? "amqp"
    : p === "redis" || p === "rediss"
      ? "redis"
      : p === "memory"
        ? "memory"
        : "other";
}

/** RabbitMQ's limit for exchange and queue names: a short string, 255 bytes of UTF-8. */
const AMQP_NAME_BYTES = 255;

/**
 * Refuse, before anything is declared, a name RabbitMQ cannot take: the exchange, and the longest queue
 * name mqa derives from the topic and group (`<topic>.<group>.dlq`), each at most 255 bytes of UTF-8.
 */
function assertAmqpNames(names: ReadonlyArray<readonly [what: string, name: string]>): void {
  for (const [what, name] of names) {
    const bytes = Buffer.byteLength(name);
    if (bytes > AMQP_NAME_BYTES)
      throw new InvalidOptionsError(
        `${what} '${name.slice(0, 40)}…' is ${bytes} bytes long; RabbitMQ takes names of at most ${AMQP_NAME_BYTES} bytes: use a shorter topic or group`,
      );
  }
}

/** Resolve the flags; `needGroup` for consume. Throws `invalid-options` naming the flag to change. */
export async function resolveAddress(flags: AddressFlags, needGroup: boolean): Promise<Address> {
  const scheme = schemeOf(flags.broker);
  const given = (["topic", "exchange", "queue", "stream"] as const).filter((k) => flags[k] !== undefined);
  if (given.length !== 1)
    throw new InvalidOptionsError(
      given.length === 0
        ? "say where: --topic (an mqa topic or a spec's topic), --exchange or --queue (RabbitMQ), or --stream (Redis)"
        : `give one of --topic, --exchange, --queue, --stream, not ${given.map((g) => `--${g}`).join(" and ")}`,
    );
  const onlyFor = (flag: string, want: "amqp" | "redis"): void => {
    if (scheme !== want)
      throw new InvalidOptionsError(
        `--${flag} is for ${want === "amqp" ? "RabbitMQ (amqp://)" : "Redis (redis://)"} brokers, not ${scheme}://`,
      );
  };
  if (flags.payloadField !== undefined && flags.stream === undefined)
    throw new InvalidOptionsError(
      "--payload-field goes with --stream (the field of another producer's entries)",
    );
  if (flags.spec !== undefined && given[0] !== "topic")
    throw new InvalidOptionsError(
      `--spec names topics: use --topic with it (--${given[0]} addresses a resource as it is, without a spec)`,
    );

  const spec = flags.spec === undefined ? undefined : await loadSpecFile(flags.spec);
  if (flags.exchange !== undefined) {
    onlyFor("exchange", "amqp");
    assertAmqpNames([["--exchange", flags.exchange]]);
    if (needGroup)
      throw new InvalidOptionsError("--exchange publishes or tails; to consume, give the queue with --queue");
    return {
      topic: flags.exchange,
      group: undefined,
      connect: {},
      spec: undefined,
      describe: `exchange '${flags.exchange}'`,
    };
  }
  if (flags.queue !== undefined) {
    onlyFor("queue", "amqp");
    const queue = flags.queue;
    assertAmqpNames([["--queue", queue]]);
    // The default exchange routes by queue name; consuming attaches to the queue as it is and builds nothing
    // around it (no dead-letter queue, no delay route): this command only reads, acks or hands back.
    return {
      topic: "",
      group: flags.group ?? queue,
      connect: {
        amqp: { queueFor: () => ({ name: queue, existing: true, retry: false, deadLetter: false }) },
      },
      spec: undefined,
      describe: `queue '${queue}'`,
    };
  }
  if (flags.stream !== undefined) {
    onlyFor("stream", "redis");
    if (needGroup && flags.group === undefined)
      throw new InvalidOptionsError(
        "--stream needs --group: the consumer group to read as (created when absent)",
      );
    const key = flags.stream;
    const fields = flags.payloadField === undefined ? {} : { fields: { payload: flags.payloadField } };
    return {
      topic: key,
      group: flags.group,
      connect: { redis: { topics: { [key]: { key, ...fields } } } },
      spec: undefined,
      describe: `stream '${key}'`,
    };
  }
  const topic = flags.topic!;
  if (needGroup && flags.group === undefined)
    throw new InvalidOptionsError("--topic needs --group: the consumer group to read as");
  if (scheme === "amqp" && spec === undefined) {
    const group = flags.group ?? flags.declare;
    assertAmqpNames([
      ["topic (its exchange)", topic],
      ...(group === undefined
        ? []
        : ([["the dead-letter queue of group", `${topic}.${group}.dlq`]] as const)),
    ]);
  }
  return {
    topic,
    group: flags.group,
    connect: spec ? { topology: spec } : {},
    spec,
    describe: spec ? `topic '${topic}' of ${flags.spec}` : `topic '${topic}'`,
  };
}
