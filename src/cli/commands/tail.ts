import type { Command } from "commander";
import { maskUrl } from "../../core/redact.js";
import { rabbitGroups } from "../../spec/rabbit-groups.js";
import { openTail, type TailOptions } from "../../tail/tail.js";
import { positiveInt } from "../args.js";
import { messageLine } from "../message-json.js";
import { resolveAddress, type Address, type AddressFlags } from "../address.js";
import { explainedConnectError } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

interface TailCliOptions extends Omit<AddressFlags, "broker">, ConnectionFlags {
  broker?: string;
  count?: number;
  routingKey?: string[];
}

/** Where a tail of `address` must look, from the spec (exchange, type, keys; stream key) or the flags. */
function tailOptions(address: Address, opts: TailCliOptions): TailOptions {
  const out: TailOptions = {};
  if (opts.routingKey) {
    out.exchangeType = "direct";
    out.routingKeys = opts.routingKey;
  }
  if (opts.stream !== undefined) {
    out.key = opts.stream;
    if (opts.payloadField !== undefined) out.fields = { payload: opts.payloadField };
  }
  const spec = address.spec;
  if (!spec) return out;
  const groups = rabbitGroups(spec).filter((g) => g.topic === address.topic);
  const first = groups[0];
  const topic = spec.rabbitmq?.topics?.find((t) => t.name === address.topic);
  if (first ?? topic) {
    out.exchange = first?.exchange ?? topic?.exchange ?? address.topic;
    out.exchangeType = first?.exchangeType ?? topic?.exchangeType ?? "topic";
    out.routingKeys = [...new Set(groups.flatMap((g) => (g.bindings ?? []).map((b) => b.routingKey)))];
  }
  const stream = spec.redis?.streams?.find((s) => s.name === address.topic);
  if (spec.redis?.keyPrefix !== undefined) out.keyPrefix = spec.redis.keyPrefix;
  if (stream?.key !== undefined) out.key = stream.key;
  if (stream?.fields !== undefined) out.fields = stream.fields;
  return out;
}

/** `mqa tail`: follow new messages on a topic without disturbing any group. */
export function registerTailCommand(program: Command): void {
  const command = program
    .command("tail")
    .description("follow new messages on a topic, one JSON line each, without taking them from any group")
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--topic <topic>", "topic to follow (with --spec: a topic of the spec)")
    .option("--spec <file>", "topology spec: follow the exchange or stream key it names for the topic")
    .option("--exchange <name>", "RabbitMQ: follow this exchange as it is (topic, fanout or headers)")
    .option(
      "--routing-key <key>",
      "RabbitMQ: follow these keys (repeatable; for a direct exchange)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option("--stream <key>", "Redis: follow this stream key as it is")
    .option("--payload-field <field>", "with --stream: the field holding other producers' payload")
    .option("--count <n>", "stop after this many messages", positiveInt)
    .action(async (opts: TailCliOptions) => {
      const connection = await resolveConnection(opts.broker, opts);
      const address = await resolveAddress({ ...opts, broker: connection.url }, false);
      let seen = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const tail = await openTail(
        connection.url,
        address.topic,
        (m) => {
          if (opts.count !== undefined && seen >= opts.count) return;
          seen++;
          process.stdout.write(`${messageLine(m)}\n`);
          if (opts.count !== undefined && seen >= opts.count) finish();
        },
        { ...tailOptions(address, opts), ...(connection.tls ? { tls: connection.tls } : {}) },
      ).catch((err: unknown) => {
        throw explainedConnectError(err, connection.url);
      });
      process.stderr.write(
        `mqa tail: following ${address.describe} on ${maskUrl(connection.url)} via ${tail.method}\n`,
      );
      process.once("SIGINT", finish);
      process.once("SIGTERM", finish);
      await finished;
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      await tail.close();
    });
  addConnectionOptions(command);
}
