/**
 * `npm run bench`: the standard set, as one report — RabbitMQ (quorum and classic queues, mqa's default
 * topology against raw amqplib on the same queue arguments and on a plain queue) and Redis Streams
 * (against ioredis and node-redis), 256 B and 4 KiB, each mqa against the raw clients in one run with
 * client CPU per message and, at 256 B, a latency sweep; the embedded broker at growing backlogs; and the
 * memory figure on each broker (a 1,000,000-message backlog, consumer RSS per prefetch, a publisher facing
 * a down broker). Written to bench/results/<date>.json and .md with the machine and versions. A report,
 * never a pass/fail test.
 *
 * Environment: MQA_BENCH_AMQP (default amqp://guest:guest@127.0.0.1:5672), MQA_BENCH_REDIS (default
 * redis://127.0.0.1:6379); MQA_BENCH_MESSAGES (10000) and MQA_BENCH_ROUNDS (3) scale the throughput runs;
 * MQA_BENCH_BACKLOG (1000000) the memory figure's backlog; MQA_BENCH_EMBEDDED_BACKLOGS (20000,100000,200000)
 * the embedded broker's; MQA_BENCH_ONLY=amqp, redis or memory runs one
 * broker's cases; MQA_BENCH_SWEEP=0 and MQA_BENCH_MEMORY=0 leave out the sweep and the memory figure.
 * `--json` prints the whole result on stdout as well.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { maskSecretsInText } from "../core/redact.js";
import { formatMemoryMarkdown, formatMemoryText, runMemoryBench, type MemoryReport } from "./memory.js";
import { formatBenchMarkdown, formatBenchText } from "./report.js";
import type { BenchProgress, BenchReport } from "./run.js";
import { runBench } from "./run.js";
import { DEFAULT_SWEEP } from "./sweep.js";

export interface StandardCase {
  broker: string;
  size: number;
  queueType?: "quorum" | "classic";
  /** Messages per round, when not the run's setting (the embedded broker's backlog cases). */
  messages?: number;
  sweep?: boolean;
}

/** Backlogs (messages per round) the embedded broker is measured at: its throughput must not fall with them. */
export const EMBEDDED_BACKLOGS = [20_000, 100_000, 200_000] as const;

/** The standard cases for the two brokers and the embedded one (at `embedded` backlogs). */
export function standardCases(
  amqp: string,
  redis: string,
  sweep = true,
  embedded: readonly number[] = EMBEDDED_BACKLOGS,
): StandardCase[] {
  const cases: StandardCase[] = [];
  for (const queueType of ["quorum", "classic"] as const)
    for (const size of [256, 4096])
      cases.push({
        broker: amqp,
        size,
        queueType,
        ...(sweep && size === 256 && queueType === "quorum" ? { sweep } : {}),
      });
  for (const size of [256, 4096])
    cases.push({ broker: redis, size, ...(sweep && size === 256 ? { sweep } : {}) });
  for (const messages of embedded) cases.push({ broker: "memory://", size: 256, messages });
  return cases;
}

/** The brokers of the memory figure: memory://, Redis, RabbitMQ quorum. */
export function memoryCases(amqp: string, redis: string): Array<{ broker: string; queueType?: "quorum" }> {
  return [{ broker: "memory://" }, { broker: redis }, { broker: amqp, queueType: "quorum" }];
}

type Failure = { case: StandardCase | { broker: string; memory: true }; error: string };

/** Progress as lines on stderr: one per phase change. */
function progressLogger(log: (line: string) => void): (p: BenchProgress) => void {
  let last = "";
  return (p) => {
    const line = `  … ${p.phase}: ${p.unit ?? "round"} ${p.round}/${p.rounds} · ${p.side}`;
    if (line !== last) log(line);
    last = line;
  };
}

function errorText(err: unknown): string {
  return maskSecretsInText(err instanceof Error ? err.message : String(err));
}

/** Run every case, one after another; a case that fails is reported, not fatal. */
export async function runStandardBench(
  cases: StandardCase[],
  settings: { messages: number; rounds: number },
  log: (line: string) => void,
): Promise<{ reports: BenchReport[]; failures: Failure[] }> {
  const reports: BenchReport[] = [];
  const failures: Failure[] = [];
  for (const c of cases) {
    const messages = c.messages ?? settings.messages;
    log(`bench ${maskSecretsInText(c.broker)} ${c.queueType ?? ""} ${c.size} B, ${messages} msgs …`);
    try {
      const report = await runBench(
        {
          rounds: settings.rounds,
          messages,
          broker: c.broker,
          size: c.size,
          ...(c.queueType ? { queueType: c.queueType } : {}),
          ...(c.sweep ? { sweep: [...DEFAULT_SWEEP] } : {}),
        },
        progressLogger(log),
      );
      reports.push(report);
      log(formatBenchText(report));
    } catch (err) {
      const error = errorText(err);
      failures.push({ case: { ...c, broker: maskSecretsInText(c.broker) }, error });
      log(`  failed: ${error}`);
    }
  }
  return { reports, failures };
}

/** The memory figure on each broker, one after another; a broker that fails is reported, not fatal. */
export async function runStandardMemory(
  brokers: ReadonlyArray<{ broker: string; queueType?: "quorum" }>,
  backlog: number,
  log: (line: string) => void,
): Promise<{ memory: MemoryReport[]; failures: Failure[] }> {
  const memory: MemoryReport[] = [];
  const failures: Failure[] = [];
  for (const b of brokers) {
    log(`memory ${maskSecretsInText(b.broker)}: backlog ${backlog} …`);
    let lastTenth = -1;
    let lastPhase = "";
    try {
      const report = await runMemoryBench({ ...b, messages: backlog }, (p) => {
        const tenth = Math.floor((p.done / Math.max(1, p.total)) * 10);
        if (p.phase !== lastPhase || tenth !== lastTenth) log(`  … ${p.phase} ${p.done}/${p.total}`);
        lastPhase = p.phase;
        lastTenth = tenth;
      });
      memory.push(report);
      log(formatMemoryText(report));
    } catch (err) {
      const error = errorText(err);
      failures.push({ case: { broker: maskSecretsInText(b.broker), memory: true }, error });
      log(`  failed: ${error}`);
    }
  }
  return { memory, failures };
}

function failureLine(f: Failure): string {
  const c = f.case;
  const what = "memory" in c ? `${c.broker} memory figure` : `${c.broker} ${c.queueType ?? ""} ${c.size} B`;
  return `- **failed** ${what}: ${f.error}`;
}

/** Markdown of a standard run: machine, then one section per case, then the memory figures. */
export function renderStandardMarkdown(
  date: string,
  reports: BenchReport[],
  failures: Failure[],
  memory: MemoryReport[] = [],
): string {
  const first = reports[0];
  return [
    `# mqa bench — ${date}`,
    "",
    first
      ? `Machine: ${first.machine.cpus} × ${first.machine.cpuModel}, ${first.machine.memoryGiB} GiB, ${first.machine.os}, Node ${first.machine.node}; mqa ${first.versions.mqa}.`
      : "",
    "",
    ...reports.map(
      (r) =>
        `${formatBenchMarkdown(r)}\n${[r.versions.broker, ...r.versions.clients].filter(Boolean).join(", ")}\n`,
    ),
    ...(memory.length > 0 ? ["## Memory", "", ...memory.map(formatMemoryMarkdown)] : []),
    ...failures.map(failureLine),
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const amqp = process.env["MQA_BENCH_AMQP"] ?? "amqp://guest:guest@127.0.0.1:5672";
  const redis = process.env["MQA_BENCH_REDIS"] ?? "redis://127.0.0.1:6379";
  const settings = {
    messages: Number(process.env["MQA_BENCH_MESSAGES"] ?? 10_000),
    rounds: Number(process.env["MQA_BENCH_ROUNDS"] ?? 3),
  };
  const backlog = Number(process.env["MQA_BENCH_BACKLOG"] ?? 1_000_000);
  const only = process.env["MQA_BENCH_ONLY"];
  const json = process.argv.includes("--json");
  const matches = (broker: string): boolean => !only || broker.startsWith(only);
  const log = (l: string): void => void process.stderr.write(`${l}\n`);
  const embedded = process.env["MQA_BENCH_EMBEDDED_BACKLOGS"]?.split(",").map(Number);
  if (embedded?.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(
      "MQA_BENCH_EMBEDDED_BACKLOGS must be whole numbers above 0, comma-separated (e.g. 20000,200000)",
    );
  const cases = standardCases(amqp, redis, process.env["MQA_BENCH_SWEEP"] !== "0", embedded).filter((c) =>
    matches(c.broker),
  );
  const { reports, failures } = await runStandardBench(cases, settings, log);
  const mem =
    process.env["MQA_BENCH_MEMORY"] === "0"
      ? { memory: [], failures: [] }
      : await runStandardMemory(
          memoryCases(amqp, redis).filter((b) => matches(b.broker)),
          backlog,
          log,
        );
  const date = new Date().toISOString().slice(0, 10);
  const dir = new URL("../../bench/results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const jsonFile = new URL(`${date}.json`, dir);
  // With MQA_BENCH_ONLY, keep the other brokers' results of the same day in the file.
  let kept: { reports: BenchReport[]; memory: MemoryReport[] } = { reports: [], memory: [] };
  if (only) {
    try {
      const previous = JSON.parse(await readFile(jsonFile, "utf8")) as {
        reports: BenchReport[];
        memory?: MemoryReport[];
      };
      kept = {
        reports: previous.reports.filter((r) => !r.broker.startsWith(only)),
        memory: (previous.memory ?? []).filter((r) => !r.broker.startsWith(only)),
      };
    } catch {
      kept = { reports: [], memory: [] };
    }
  }
  const all = [...kept.reports, ...reports];
  const memory = [...kept.memory, ...mem.memory];
  const allFailures = [...failures, ...mem.failures];
  const result = { date, settings: { ...settings, backlog }, reports: all, memory, failures: allFailures };
  await writeFile(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(new URL(`${date}.md`, dir), renderStandardMarkdown(date, all, allFailures, memory));
  log(`wrote bench/results/${date}.json and .md`);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${errorText(err)}\n`);
    process.exitCode = 1;
  });
}
