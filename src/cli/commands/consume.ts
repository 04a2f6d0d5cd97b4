import type { Command } from "commander";
import { openCliTransport } from "../transport.js";
import { addConnectionOptions, resolveConnection, withTls, type ConnectionFlags } from "../connection.js";
import { assertGroupHasDeadLetters } from "../dead-letter-group.js";
import type { Delivery, Subscription } from "../../core/transport.js";
import { positiveInt } from "../args.js";
import { messageLine } from "../message-json.js";
import { resolveAddress, type AddressFlags } from "../address.js";

interface ConsumeCliOptions extends Omit<AddressFlags, "broker">, ConnectionFlags {
  broker?: string;
  count?: number;
  ack: boolean;
  prefetch: number;
  deadLetters?: boolean;
}

/** `mqa consume`: take messages as a member of a group, one JSON line each. */
export function registerConsumeCommand(program: Command): void {
  const command = program
    .command("consume")
    .description(
      "consume from a topic as a member of a group, one JSON line per message; acks by default " +
        "(--no-ack holds them and hands them back on exit, without counting an attempt)",
    )
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--topic <topic>", "topic to consume from (with --spec: a topic of the spec)")
    .option("--group <group>", "consumer group (declared if missing; with --spec: a group of the spec)")
    .option("--spec <file>", "topology spec: the group's queue, bindings and arguments are the spec's")
    .option("--queue <name>", "RabbitMQ: consume this existing queue as it is (checked, never declared)")
    .option("--stream <key>", "Redis: consume this stream key as it is, as --group (created when absent)")
    .option("--payload-field <field>", "with --stream: the field holding other producers' payload")
    .option("--count <n>", "stop after this many messages", positiveInt)
    .option("--ack", "acknowledge each message (default)", true)
    .option("--no-ack", "do not acknowledge: messages go back to the group on exit")
    .option("--prefetch <n>", "deliveries held at once", positiveInt, 10)
    .option("--dead-letters", "print the group's dead letters (read without removing them) and exit")
    .action(async (opts: ConsumeCliOptions) => {
      const connection = await resolveConnection(opts.broker, opts);
      const address = await resolveAddress({ ...opts, broker: connection.url }, true);
      const topic = address.topic;
      const group = address.group!;
      const transport = await openCliTransport(connection.url, withTls(address.connect, connection.tls));
      if (opts.deadLetters) {
        try {
          const letters = await assertGroupHasDeadLetters(transport, connection, address, () =>
            transport.readDeadLetters(topic, group, opts.count ?? 100),
          );
          for (const d of letters) {
            process.stdout.write(`${messageLine(d.message, group, { reason: d.reason })}\n`);
          }
        } finally {
          await transport.close({ timeoutMs: 5000 });
        }
        return;
      }
      await transport.declare({ topic, group });
      if ("groupLayout" in transport && typeof transport.groupLayout === "function") {
        // RabbitMQ: say once what the broker will not do for a queue that is used as it is.
        const layout = (transport.groupLayout as (t: string, g: string) => { caveats: readonly string[] })(
          topic,
          group,
        );
        for (const caveat of layout.caveats) process.stderr.write(`mqa consume: note: ${caveat}\n`);
      }
      let seen = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      // --no-ack: deliveries are held (unsettled) until exit, then handed back with a retry that does
      // not count as an attempt, so the group gets them again at once on every broker.
      const held: Array<{ delivery: Delivery; release: () => void }> = [];
      const hold = (delivery: Delivery): Promise<void> =>
        new Promise<void>((release) => held.push({ delivery, release }));
      const limit = opts.count;
      const prefetch = limit !== undefined && !opts.ack ? Math.max(opts.prefetch, limit) : opts.prefetch;
      const sub: Subscription = await transport.subscribe(
        topic,
        group,
        async (delivery: Delivery) => {
          if (limit !== undefined && seen >= limit) return hold(delivery); // past the count: hand it back
          seen++;
          process.stdout.write(`${messageLine(delivery.message, group)}\n`);
          if (limit !== undefined && seen >= limit) finish();
          if (opts.ack) await delivery.ack();
          else await hold(delivery);
        },
        { prefetch },
      );
      const onSignal = (): void => finish();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      await finished;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await sub.pause();
      for (const { delivery, release } of held) {
        await delivery.retry({ delayMs: 0, countAttempt: false });
        release();
      }
      await sub.close({ timeoutMs: 5000 });
      await transport.close({ timeoutMs: 5000 });
    });
  addConnectionOptions(command);
}
