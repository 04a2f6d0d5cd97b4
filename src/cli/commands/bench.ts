import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { formatBenchText } from "../../bench/report.js";
import { runBench } from "../../bench/run.js";
import { DEFAULT_SWEEP } from "../../bench/sweep.js";
import { positiveInt } from "../args.js";
import { bar, ProgressLine } from "../progress.js";
import { formatMemoryText, runMemoryBench } from "../../bench/memory.js";
import { explainedConnectError } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/** commander parser of `--sweep`: percentages (exported for its property test). */
export function percents(value: string): number[] {
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.length === 0 || list.length > 20 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 100))
    throw new InvalidArgumentError(
      `expected up to 20 whole percentages from 1 to 100, comma-separated (e.g. 10,30,50,70,90), got "${value}"`,
    );
  return list;
}

/** commander parser of `--raw`: raw Redis clients (exported for its property test). */
export function rawClients(value: string): Array<"ioredis" | "node-redis"> {
  const list = value.split(",").map((v) => v.trim());
  const bad = list.filter((v) => v !== "ioredis" && v !== "node-redis");
  if (bad.length > 0 || list.length === 0 || new Set(list).size !== list.length)
    throw new InvalidArgumentError(
      `expected ioredis, node-redis or both (comma-separated, each once), got "${value}"`,
    );
  return list as Array<"ioredis" | "node-redis">;
}

/** commander parser of `--raw-topology` (exported for its property test). */
export function rawTopology(value: string): "same" | "plain" | "both" {
  if (value !== "same" && value !== "plain" && value !== "both")
    throw new InvalidArgumentError(`expected same, plain or both, got "${value}"`);
  return value;
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
  raw: Array<"ioredis" | "node-redis">;
  rawTopology: "same" | "plain" | "both";
  sweep?: number[] | true;
  memory?: boolean;
  prefetches: number[];
  consumeSeconds: number;
  json?: boolean;
}

/** commander parser of `--prefetches` (exported for its property test). */
export function prefetchList(value: string): number[] {
  const list = value.split(",").map((v) => Number(v.trim()));
  if (list.length === 0 || list.length > 10 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 65_535))
    throw new InvalidArgumentError(
      `expected up to 10 prefetch values from 1 to 65535, comma-separated (e.g. 10,100,1000), got "${value}"`,
    );
  return list;
}

/** `mqa bench`: mqa vs the raw client, side by side, alternating rounds. */
export function registerBenchCommand(program: Command): void {
  const command = program
    .command("bench")
    .description(
      "measure publish-with-confirm and consume-with-ack throughput, client CPU per message and open-loop " +
        "end-to-end latency, for mqa and the raw clients in alternating rounds with identical settings; prints " +
        "medians, min–max and mqa/raw per raw client (the strongest is the headline)",
    )
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--messages <n>", "messages per throughput round", positiveInt, 20_000)
    .option("--size <bytes>", "payload size (at least 8)", positiveInt, 256)
    .option(
      "--rate <r>",
      "latency-round rate, msg/s (default: half of the slowest side's median publish or consume rate, whichever is lower)",
      positiveNumber,
    )
    .option(
      "--sweep [percents]",
      "also sweep latency over rates, as % of the slowest side's median rate (publish or consume, the lower), and report where p99 " +
        "breaks (default 10,20,…,90)",
      percents,
    )
    .addOption(
      new Option("--raw <clients>", "Redis: raw clients to compare with, ioredis and/or node-redis")
        .argParser(rawClients)
        .default(["ioredis", "node-redis"], "ioredis,node-redis"),
    )
    .option(
      "--raw-topology <which>",
      "RabbitMQ: the raw queue's arguments: same (mqa's dead-letter arguments), plain, or both",
      rawTopology,
      "both",
    )
    .option("--rounds <n>", "rounds per side", positiveInt, 3)
    .option("--window <n>", "publishes awaiting confirm at once (both sides)", positiveInt, 500)
    .option("--prefetch <n>", "unacked deliveries per consumer (both sides)", positiveInt, 200)
    .option("--queue-type <type>", "RabbitMQ queue type, quorum or classic (both sides)", queueType, "quorum")
    .option(
      "--memory",
      "instead: the memory figure — a backlog (--messages, default 1,000,000 here) and one consumer process per " +
        "--prefetches value, peak RSS each; then a publisher facing a down broker (peak RSS, the error once full)",
    )
    .addOption(
      new Option("--prefetches <list>", "with --memory: one consumer per prefetch")
        .argParser(prefetchList)
        .default([10, 100, 1000], "10,100,1000"),
    )
    .option("--consume-seconds <s>", "with --memory: time limit of each consumer", positiveNumber, 60)
    .option("--json", "print one JSON object (each figure has mqa, raw and ratio)")
    .action(async (opts: BenchCliOptions) => {
      const connection = await resolveConnection(opts.broker, opts);
      const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
      if (opts.memory) {
        let memory;
        try {
          memory = await runMemoryBench(
            {
              broker: connection.url,
              ...(connection.tls ? { tls: connection.tls } : {}),
              // The memory figure is about a large backlog: --messages only when given.
              ...(command.getOptionValueSource("messages") === "default" ? {} : { messages: opts.messages }),
              size: opts.size,
              prefetches: opts.prefetches,
              consumeSeconds: opts.consumeSeconds,
              window: opts.window,
              queueType: opts.queueType,
            },
            (p) => progress.update(`${p.phase} ${bar(p.done, p.total)} ${p.done}/${p.total}`),
          );
        } catch (err) {
          throw explainedConnectError(err, connection.url);
        } finally {
          progress.done();
        }
        process.stdout.write(opts.json ? `${JSON.stringify(memory)}\n` : formatMemoryText(memory));
        return;
      }
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
            rawRedis: opts.raw,
            rawTopology: opts.rawTopology,
            ...(opts.rate === undefined ? {} : { rate: opts.rate }),
            ...(opts.sweep === undefined
              ? {}
              : { sweep: opts.sweep === true ? [...DEFAULT_SWEEP] : opts.sweep }),
          },
          (p) => progress.update(`${p.phase}: ${p.unit ?? "round"} ${p.round}/${p.rounds} · ${p.side}`),
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
