import { createInterface } from "node:readline";
import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { cliTransport } from "../transport.js";
import { MqaError } from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import type { Transport } from "../../core/transport.js";
import { resolveAddress, type Address, type AddressFlags } from "../address.js";
import { payloadFromText } from "../message-json.js";

function header(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

interface PublishCliOptions extends AddressFlags {
  key?: string;
  routingKey?: string;
  header: Record<string, string>;
  declare?: string;
  timeout: number;
}

/** `mqa publish`: publish one message (or JSON lines from stdin) with confirms; one JSON line per confirm. */
export function registerPublishCommand(program: Command): void {
  program
    .command("publish")
    .description(
      "publish a message and wait for the broker's confirm; with `-`, publish each stdin line as one message",
    )
    .argument("[payload]", "the payload (JSON is sent as application/json, else text/plain); `-` reads stdin")
    .requiredOption("--broker <url>", "memory://, amqp://user:pass@host:5672 or redis://host:6379")
    .option("--topic <topic>", "topic to publish to (with --spec: a topic of the spec)")
    .option("--spec <file>", "topology spec: topics are resolved through it (exchange, key, stream)")
    .option("--exchange <name>", "RabbitMQ: publish to this exchange as it is (any type)")
    .option("--queue <name>", "RabbitMQ: publish straight to this queue (the default exchange)")
    .option("--stream <key>", "Redis: add to this stream key as it is")
    .option("--payload-field <field>", "with --stream: write the payload in this field, headers as fields")
    .option("--key <key>", "routing / partition key")
    .option("--routing-key <key>", "same as --key")
    .option("--header <k=v>", "a header (repeatable)", header, {})
    .option("--declare <group>", "declare this group on the topic first, so the message is routable")
    .option("--timeout <ms>", "reject a publish not confirmed within this time", (v) => Number(v), 15_000)
    .action(async (payload: string | undefined, opts: PublishCliOptions) => {
      const address = await resolveAddress(opts, false);
      if (opts.queue !== undefined)
        opts.key = opts.queue; // the default exchange routes by queue name
      else opts.key ??= opts.routingKey;
      const transport = await cliTransport(opts.broker, address.connect);
      try {
        await transport.connect();
        if (opts.declare) await transport.declare({ topic: address.topic, group: opts.declare });
        if (payload === undefined || payload === "-") {
          const failed = await publishLines(transport, opts, address);
          if (failed > 0) process.exitCode = 1;
        } else {
          process.stdout.write(`${await publishOne(transport, opts, address, payload, 1)}\n`);
        }
      } finally {
        await transport.close({ timeoutMs: 5000 });
      }
    });
}

async function publishOne(
  t: Transport,
  o: PublishCliOptions,
  a: Address,
  text: string,
  line: number,
): Promise<string> {
  const receipt = await t.publish(
    a.topic,
    { ...payloadFromText(text), headers: o.header, ...(o.key === undefined ? {} : { key: o.key }) },
    { timeoutMs: o.timeout },
  );
  return JSON.stringify({
    line,
    topic: a.topic,
    to: a.describe,
    id: receipt.id,
    ...(receipt.position === undefined ? {} : { position: receipt.position }),
    confirmed: true,
  });
}

/** Publish stdin lines with up to 100 awaiting confirms; returns how many failed. */
async function publishLines(t: Transport, o: PublishCliOptions, a: Address): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let failed = 0;
  for await (const raw of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const text = raw.trim();
    n++;
    if (text === "") continue;
    const line = n;
    const p = publishOne(t, o, a, text, line).then(
      (out) => void process.stdout.write(`${out}\n`),
      (err: unknown) => {
        failed++;
        const code = MqaError.is(err) ? err.code : "error";
        const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
        process.stdout.write(
          `${JSON.stringify({ line, topic: a.topic, to: a.describe, confirmed: false, code, error: message })}\n`,
        );
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 100) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return failed;
}
