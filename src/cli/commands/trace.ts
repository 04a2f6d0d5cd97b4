/**
 * `mqa trace <correlation-id>`: the view of one business transaction across services. Reads the given
 * topics' history (Redis streams, RabbitMQ `<topic>.history` stream queues), keeps the messages of that
 * correlation id and prints them as a causation tree (or JSON). Thin: the work is src/trace's.
 */
import type { Command } from "commander";
import { InvalidOptionsError, MqaError } from "../../core/errors.js";
import { maskUrl } from "../../core/redact.js";
import { parseReplayPoint, type ReplayFrom } from "../../replay/mod.js";
import { loadSpecFile } from "../../spec/parse.js";
import { buildTransactionTree, collectTransaction, formatTransactionTree } from "../../trace/mod.js";
import { explainedConnectError } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";
import { ProgressLine } from "../progress.js";

interface TraceCliOptions extends ConnectionFlags {
  broker?: string;
  topic?: string[];
  since?: string;
  json?: boolean;
  spec?: string;
  header?: string[];
}

const repeat = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `mqa trace`. */
export function registerTraceCommand(program: Command): void {
  const command = program
    .command("trace <correlation-id>")
    .description(
      "show one business transaction: the messages of a correlation id in the topics' history, as a causation tree",
    )
    .option("--broker <url>", "amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--topic <topic>", "a topic to read (repeat for each topic of the transaction)", repeat)
    .option("--since <time>", "read only messages published at or after this ISO time (2026-12-03T10:00:00Z)")
    .option("--json", "print the tree as one JSON object")
    .option("--spec <file>", "topology spec: the topics' history queues (RabbitMQ), stream keys (Redis)")
    .option("--header <name>", "show this header on each line when present (repeatable)", repeat)
    .action(async (correlationId: string, opts: TraceCliOptions) => {
      const topics = opts.topic ?? [];
      if (topics.length === 0)
        throw new InvalidOptionsError(
          "give the topics to read with --topic <topic> (repeat it for each topic of the transaction)",
        );
      let since: Date | undefined;
      if (opts.since !== undefined) {
        let point: ReplayFrom | undefined;
        try {
          point = parseReplayPoint(opts.since, "--from");
        } catch {
          point = undefined;
        }
        if (typeof point !== "object" || !("timestamp" in point))
          throw new InvalidOptionsError(
            `--since ${JSON.stringify(opts.since)} is not an ISO 8601 time such as 2026-12-03T10:00:00Z`,
          );
        since = point.timestamp;
      }
      const connection = await resolveConnection(opts.broker, opts);
      const spec = opts.spec === undefined ? undefined : await loadSpecFile(opts.spec);
      const progress = new ProgressLine();
      const started = Date.now();
      const readByTopic = new Map<string, number>();
      const collected = await collectTransaction(connection.url, correlationId, topics, {
        ...(since === undefined ? {} : { since }),
        ...(spec === undefined ? {} : { topology: spec }),
        ...(connection.tls ? { tls: connection.tls } : {}),
        onProgress: ({ topic, read, kept }) => {
          readByTopic.set(topic, read);
          const all = [...readByTopic.values()].reduce((a, b) => a + b, 0);
          progress.update(`mqa trace: ${topic}: ${read} read, ${kept} kept; ${all} read in all`);
        },
      })
        .catch((err: unknown) => {
          throw err instanceof MqaError ? err : explainedConnectError(err, connection.url);
        })
        .finally(() => progress.done());
      const read = collected.topics.reduce((n, t) => n + t.read, 0);
      const tree = buildTransactionTree(correlationId, collected.messages);
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ ...tree, topics: collected.topics }, null, 2)}\n`);
      else if (tree.messages > 0)
        process.stdout.write(`${formatTransactionTree(tree, { headers: opts.header ?? [] })}\n`);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        `mqa trace: read ${read} message${read === 1 ? "" : "s"} from ${collected.topics.length} ` +
          `topic${collected.topics.length === 1 ? "" : "s"} on ${maskUrl(connection.url)} in ${seconds} s; ` +
          `${tree.messages} in transaction ${correlationId}\n`,
      );
      if (tree.messages === 0) {
        process.stderr.write(
          `mqa trace: no message of correlation id ${correlationId} in ${topics.join(", ")}` +
            `${since ? ` since ${since.toISOString()}` : ""}\n`,
        );
        process.exitCode = 1;
      }
    });
  addConnectionOptions(command);
}
