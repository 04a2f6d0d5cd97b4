import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { formatBenchText } from "../../bench/report.js";
import { runBench } from "../../bench/run.js";
import { positiveInt } from "../args.js";
import { ProgressLine } from "../progress.js";
import { explainedConnectError } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

function queueType(value: string): "quorum" | "classic" {
  if (value !== "quorum" && value !== "classic")
    throw new InvalidArgumentError(`expected quorum or classic, got "${value}"`);
  return value;
}

interface BenchCliOptions extends ConnectionFlags {
  broker?: string;
  messages: number;
  size: number;
  rate?: number;
  rounds: number;
  window: number;
  prefetch: number;
  queueType: "quorum" | "classic";
  json?: boolean;
}

/** `mqa bench`: mqa vs the raw client, side by side, alternating rounds. */
export function registerBenchCommand(program: Command): void {
  const command = program
    .command("bench")
    .description(
      "measure publish-with-confirm and consume-with-ack throughput and open-loop end-to-end latency, for mqa " +
        "and the raw client in alternating rounds with identical settings; prints medians, min–max and mqa/raw",
    )
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--messages <n>", "messages per throughput round", positiveInt, 20_000)
    .option("--size <bytes>", "payload size (at least 8)", positiveInt, 256)
    .option(
      "--rate <r>",
      "latency-round rate, msg/s (default: half the raw client's median publish rate)",
      positiveNumber,
    )
    .option("--rounds <n>", "rounds per side", positiveInt, 3)
    .option("--window <n>", "publishes awaiting confirm at once (both sides)", positiveInt, 500)
    .option("--prefetch <n>", "unacked deliveries per consumer (both sides)", positiveInt, 200)
    .option("--queue-type <type>", "RabbitMQ queue type, quorum or classic (both sides)", queueType, "quorum")
    .option("--json", "print one JSON object (each figure has mqa, raw and ratio)")
    .action(async (opts: BenchCliOptions) => {
      const connection = await resolveConnection(opts.broker, opts);
      const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
      let report;
      try {
        report = await runBench(
          {
            broker: connection.url,
            ...(connection.tls ? { tls: connection.tls } : {}),
            messages: opts.messages,
            size: opts.size,
            rounds: opts.rounds,
            window: opts.window,
            prefetch: opts.prefetch,
            queueType: opts.queueType,
            ...(opts.rate === undefined ? {} : { rate: opts.rate }),
          },
          (p) => progress.update(`${p.phase}: round ${p.round}/${p.rounds} · ${p.side}`),
        );
      } catch (err) {
        throw explainedConnectError(err, connection.url);
      } finally {
        progress.done();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatBenchText(report));
    });
  addConnectionOptions(command);
}
