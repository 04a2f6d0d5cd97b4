import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { openCliTransport } from "../transport.js";
import { addConnectionOptions, resolveConnection, withTls, type ConnectionFlags } from "../connection.js";
import { InvalidPayloadError, MqaError } from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import type { Transport } from "../../core/transport.js";
import { resolveAddress, type Address, type AddressFlags } from "../address.js";
import {
  byteLines,
  payloadFromArgument,
  payloadFromFile,
  payloadFromLine,
  type Payload,
  type PayloadEncoding,
} from "../payload-input.js";

function header(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

interface PublishCliOptions extends Omit<AddressFlags, "broker">, ConnectionFlags {
  broker?: string;
  key?: string;
  routingKey?: string;
  header: Record<string, string>;
  declare?: string;
  timeout: number;
  encoding: PayloadEncoding;
  payloadFile?: string;
  contentType?: string;
}

/** `mqa publish`: publish one message (or JSON lines from stdin) with confirms; one JSON line per confirm. */
export function registerPublishCommand(program: Command): void {
  const command = program
    .command("publish")
    .description(
      "publish a message and wait for the broker's confirm; with `-`, publish each stdin line as one message",
    )
    .argument(
      "[payload]",
      "the payload (JSON is sent as application/json, valid UTF-8 as text/plain, invalid UTF-8 is refused); `-` reads stdin, one message per line",
    )
    .addOption(
      new Option("--encoding <encoding>", "how the payload argument or each stdin line is written")
        .choices(["utf8", "base64"])
        .default("utf8"),
    )
    .option("--payload-file <path>", "publish this file's bytes as one message, exactly (binary included)")
    .option("--content-type <type>", "content type to send (default: guessed from the bytes)")
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
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
      const connection = await resolveConnection(opts.broker, opts);
      const address = await resolveAddress({ ...opts, broker: connection.url }, false);
      if (opts.queue !== undefined)
        opts.key = opts.queue; // the default exchange routes by queue name
      else opts.key ??= opts.routingKey;
      const transport = await openCliTransport(connection.url, withTls(address.connect, connection.tls));
      try {
        if (opts.declare) await transport.declare({ topic: address.topic, group: opts.declare });
        if (opts.payloadFile !== undefined) {
          if (payload !== undefined)
            throw new InvalidArgumentError("give either a payload argument or --payload-file, not both");
          const body = await payloadFromFile(opts.payloadFile, opts.contentType);
          process.stdout.write(`${await publishOne(transport, opts, address, body, 1)}\n`);
        } else if (payload === undefined || payload === "-") {
          const failed = await publishLines(transport, opts, address);
          if (failed > 0) process.exitCode = 1;
        } else {
          const body = payloadFromArgument(payload, opts.encoding, "the payload argument", opts.contentType);
          process.stdout.write(`${await publishOne(transport, opts, address, body, 1)}\n`);
        }
      } finally {
        await transport.close({ timeoutMs: 5000 });
      }
    });
  addConnectionOptions(command);
}

async function publishOne(
  t: Transport,
  o: PublishCliOptions,
  a: Address,
  body: Payload,
  line: number,
): Promise<string> {
  const receipt = await t.publish(
    a.topic,
    { ...body, headers: o.header, ...(o.key === undefined ? {} : { key: o.key }) },
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

/**
 * Publish stdin lines with up to 100 awaiting confirms; returns how many failed. Lines are split as bytes and
 * checked, so a line that is not valid UTF-8 (or too long) is refused and reported, never altered.
 */
async function publishLines(t: Transport, o: PublishCliOptions, a: Address): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let failed = 0;
  const report = (line: number, err: unknown): void => {
    failed++;
    const code = MqaError.is(err) ? err.code : "error";
    const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
    process.stdout.write(
      `${JSON.stringify({ line, topic: a.topic, to: a.describe, confirmed: false, code, error: message })}\n`,
    );
  };
  for await (const read of byteLines(process.stdin)) {
    const line = read.line;
    let body: Payload | undefined;
    try {
      if ("error" in read) throw new InvalidPayloadError(read.error);
      body = payloadFromLine(read.bytes, line, o.encoding, o.contentType);
    } catch (err) {
      report(line, err);
      continue;
    }
    if (body === undefined) continue;
    const p = publishOne(t, o, a, body, line).then(
      (out) => void process.stdout.write(`${out}\n`),
      (err: unknown) => report(line, err),
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 100) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return failed;
}
