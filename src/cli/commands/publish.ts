import { createInterface } from "node:readline";
import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { cliTransport } from "../transport.js";
import { MqaError } from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import type { Transport } from "../../core/transport.js";
import { payloadFromText } from "../message-json.js";

function header(value: string, previous: Record<string, string>): Record<string, string> {
  const i = value.indexOf("=");
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

interface PublishCliOptions {
  broker: string;
  topic: string;
  key?: string;
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
    .requiredOption("--topic <topic>", "topic to publish to")
    .option("--key <key>", "routing / partition key")
    .option("--header <k=v>", "a header (repeatable)", header, {})
    .option("--declare <group>", "declare this group on the topic first, so the message is routable")
    .option("--timeout <ms>", "reject a publish not confirmed within this time", (v) => Number(v), 15_000)
    .action(async (payload: string | undefined, opts: PublishCliOptions) => {
      const transport = await cliTransport(opts.broker);
      try {
        await transport.connect();
        if (opts.declare) await transport.declare({ topic: opts.topic, group: opts.declare });
        if (payload === undefined || payload === "-") {
          const failed = await publishLines(transport, opts);
          if (failed > 0) process.exitCode = 1;
        } else {
          process.stdout.write(`${await publishOne(transport, opts, payload, 1)}\n`);
        }
      } finally {
        await transport.close({ timeoutMs: 5000 });
      }
    });
}

async function publishOne(t: Transport, o: PublishCliOptions, text: string, line: number): Promise<string> {
  const receipt = await t.publish(
    o.topic,
    { ...payloadFromText(text), headers: o.header, ...(o.key === undefined ? {} : { key: o.key }) },
    { timeoutMs: o.timeout },
  );
  return JSON.stringify({
    line,
    topic: o.topic,
    id: receipt.id,
    ...(receipt.position === undefined ? {} : { position: receipt.position }),
    confirmed: true,
  });
}

/** Publish stdin lines with up to 100 awaiting confirms; returns how many failed. */
async function publishLines(t: Transport, o: PublishCliOptions): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  let failed = 0;
  for await (const raw of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const text = raw.trim();
    n++;
    if (text === "") continue;
    const line = n;
    const p = publishOne(t, o, text, line).then(
      (out) => void process.stdout.write(`${out}\n`),
      (err: unknown) => {
        failed++;
        const code = MqaError.is(err) ? err.code : "error";
        const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
        process.stdout.write(
          `${JSON.stringify({ line, topic: o.topic, confirmed: false, code, error: message })}\n`,
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
