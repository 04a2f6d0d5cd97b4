/**
 * `npm run bench`: the standard set — RabbitMQ (quorum and classic queues) and Redis Streams, 256 B and
 * 4 KiB — each mqa against the raw client in one run, written to bench/results/<date>.json and .md with
 * the machine and versions. A report, never a pass/fail test.
 *
 * Brokers: MQA_BENCH_AMQP (default amqp://guest:guest@127.0.0.1:5672) and MQA_BENCH_REDIS (default
 * redis://127.0.0.1:6379); MQA_BENCH_MESSAGES and MQA_BENCH_ROUNDS scale the run; MQA_BENCH_ONLY=amqp or
 * redis runs one broker's cases.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { maskSecretsInText } from "../core/redact.js";
import { formatBenchMarkdown, formatBenchText } from "./report.js";
import type { BenchReport } from "./run.js";
import { runBench } from "./run.js";

export interface StandardCase {
  broker: string;
  size: number;
  queueType?: "quorum" | "classic";
}

/** The standard cases for the two brokers. */
export function standardCases(amqp: string, redis: string): StandardCase[] {
  const cases: StandardCase[] = [];
  for (const queueType of ["quorum", "classic"] as const)
    for (const size of [256, 4096]) cases.push({ broker: amqp, size, queueType });
  for (const size of [256, 4096]) cases.push({ broker: redis, size });
  return cases;
}

/** Run every case, one after another; a case that fails is reported, not fatal. */
export async function runStandardBench(
  cases: StandardCase[],
  settings: { messages: number; rounds: number },
  log: (line: string) => void,
): Promise<{ reports: BenchReport[]; failures: Array<{ case: StandardCase; error: string }> }> {
  const reports: BenchReport[] = [];
  const failures: Array<{ case: StandardCase; error: string }> = [];
  for (const c of cases) {
    log(`bench ${maskSecretsInText(c.broker)} ${c.queueType ?? ""} ${c.size} B …`);
    try {
      const report = await runBench({ ...settings, ...c });
      reports.push(report);
      log(formatBenchText(report));
    } catch (err) {
      const error = maskSecretsInText(err instanceof Error ? err.message : String(err));
      failures.push({ case: { ...c, broker: maskSecretsInText(c.broker) }, error });
      log(`  failed: ${error}`);
    }
  }
  return { reports, failures };
}

/** Markdown of a standard run: machine, then one section per case. */
export function renderStandardMarkdown(
  date: string,
  reports: BenchReport[],
  failures: Array<{ case: StandardCase; error: string }>,
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
      (r) => `${formatBenchMarkdown(r)}\n${r.versions.broker ?? ""}, ${r.versions.client ?? ""}\n`,
    ),
    ...failures.map(
      (f) => `- **failed** ${f.case.broker} ${f.case.queueType ?? ""} ${f.case.size} B: ${f.error}`,
    ),
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
  const only = process.env["MQA_BENCH_ONLY"];
  const cases = standardCases(amqp, redis).filter((c) => !only || c.broker.startsWith(only));
  const { reports, failures } = await runStandardBench(cases, settings, (l) =>
    process.stderr.write(`${l}\n`),
  );
  const date = new Date().toISOString().slice(0, 10);
  const dir = new URL("../../bench/results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const jsonFile = new URL(`${date}.json`, dir);
  // With MQA_BENCH_ONLY, keep the other broker's results of the same day in the file.
  let kept: BenchReport[] = [];
  if (only) {
    try {
      const previous = JSON.parse(await readFile(jsonFile, "utf8")) as { reports: BenchReport[] };
      kept = previous.reports.filter((r) => !r.broker.startsWith(only));
    } catch {
      kept = [];
    }
  }
  const all = [...kept, ...reports];
  await writeFile(jsonFile, `${JSON.stringify({ date, settings, reports: all, failures }, null, 2)}\n`);
  await writeFile(new URL(`${date}.md`, dir), renderStandardMarkdown(date, all, failures));
  process.stderr.write(`wrote bench/results/${date}.json and .md\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${maskSecretsInText(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 1;
  });
}
