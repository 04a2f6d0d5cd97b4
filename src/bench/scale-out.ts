/**
 * `npm run bench:scale`: the scale-out figure of issue 14. Throughput of one partitioned topic against the
 * number of partitions and consumer processes (1, 2, 4, 8; one partition per consumer), on one node and on a
 * cluster of each broker: RabbitMQ (the shared node; a private 3-node cluster with leaders balanced over
 * the nodes) and Redis (the shared server; a private Redis Cluster of 3 primaries with a replica each).
 *
 * Per case: one publisher process fills a backlog of `messages` keyed messages (its rate is the publish
 * figure), then `n` consumer processes, connected beforehand, subscribe at once and drain it; the consume
 * figure is messages / (last delivery − first delivery) over all of them. Every process has its own
 * transport, as separate services would. A report, never a pass/fail test: written to
 * bench/results/<date>-scale-out.json (plot-ready) and .md, progress on stderr, `--json` on stdout.
 *
 * Options: `--json`; `--only rabbitmq,rabbitmq-cluster,redis,redis-cluster`; `--counts 1,2,4,8`;
 * `--messages 20000`. Environment: MQA_BENCH_AMQP, MQA_BENCH_REDIS (the shared brokers' URLs).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { maskSecretsInText } from "../core/redact.js";
import type { ScaleConsumeResult, ScaleJob, ScalePublishResult } from "./scale-child.js";
import { openScaleTransport } from "./scale-transport.js";

export const SCALE_TARGETS = ["rabbitmq", "rabbitmq-cluster", "redis", "redis-cluster"] as const;
export type ScaleTargetName = (typeof SCALE_TARGETS)[number];

/** One measured case. */
export interface ScaleCase {
  target: ScaleTargetName;
  /** Partitions of the topic, and consumer processes (one per partition). */
  partitions: number;
  consumers: number;
  messages: number;
  publishRate: number;
  consumeRate: number;
  /** Messages each consumer took (the spread). */
  perConsumer: number[];
}

export interface ScaleReport {
  date: string;
  machine: { cpus: number; memoryGiB: number; node: string };
  messages: number;
  size: number;
  cases: ScaleCase[];
  failures: { target: ScaleTargetName; partitions?: number; error: string }[];
}

const SIZE = 256;
const PREFETCH = 100;
const WINDOW = 500;
const childFile = fileURLToPath(new URL("./scale-child.js", import.meta.url));

interface Child<T> {
  /** Resolves with the child's result line once it exits. */
  result: Promise<T>;
  /** Resolves on its `connected` line. */
  connected: Promise<void>;
  done: () => number;
  write: (line: string) => void;
  end: () => void;
  kill: () => void;
}

function startChild<T>(job: ScaleJob): Child<T> {
  const child = spawn(process.execPath, [childFile, JSON.stringify(job)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let done = 0;
  let result: T | undefined;
  let error: string | undefined;
  let stderr = "";
  let buffered = "";
  let onConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  child.stderr.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const msg = JSON.parse(line) as {
          connected?: boolean;
          progress?: { done: number };
          result?: T;
          error?: string;
        };
        if (msg.connected) onConnected();
        if (msg.progress) done = msg.progress.done;
        if (msg.result) result = msg.result;
        if (msg.error) error = msg.error;
      } catch {
        // not a line of ours
      }
    }
  });
  child.stdin.on("error", () => undefined);
  const result$ = new Promise<T>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (result !== undefined && code === 0) resolve(result);
      else
        reject(
          new Error(
            maskSecretsInText(
              `scale-out ${job.role} process failed (exit ${code}): ${error ?? stderr.trim().split("\n").slice(-3).join(" | ")}`,
            ),
          ),
        );
    });
  });
  // A child that dies before connecting must not leave the parent waiting on `connected`.
  void result$.catch(() => onConnected());
  return {
    result: result$,
    connected,
    done: () => done,
    write: (line) => void child.stdin.write(`${line}\n`),
    end: () => void child.stdin.end(),
    kill: () => void child.kill("SIGKILL"),
  };
}

/** The broker of a target: its URLs, and how to stop it when it is private. */
interface Broker {
  urls: string[];
  redisCluster: boolean;
  description: string;
  /** Remove a case's topic (shared brokers; a private one goes away whole). */
  cleanup: (topic: string, partitions: number) => Promise<void>;
  stop: () => Promise<void>;
}

async function removeAmqpPartitions(url: string, topic: string, partitions: number): Promise<void> {
  const { default: amqplib } = await import("amqplib");
  const model = await amqplib.connect(url);
  model.on("error", () => undefined);
  try {
    const ch = await model.createChannel();
    for (let p = 0; p < partitions; p++) await ch.deleteQueue(`${topic}.g.p${p}`);
    await ch.deleteQueue(`${topic}.g.dlq`);
    await ch.deleteExchange(topic);
  } finally {
    await model.close();
  }
}

async function removeRedisKeys(url: string, topic: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    // The topic's name is random and unique to this run: every key holding it is this case's.
    for (let cursor = "0"; ;) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `*${topic}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    redis.disconnect();
  }
}

async function openBroker(target: ScaleTargetName, amqp: string, redis: string): Promise<Broker> {
  switch (target) {
    case "rabbitmq":
      return {
        urls: [amqp],
        redisCluster: false,
        description: "one RabbitMQ node (the shared broker), quorum queues",
        cleanup: (topic, partitions) => removeAmqpPartitions(amqp, topic, partitions),
        stop: async () => undefined,
      };
    case "rabbitmq-cluster": {
      const { RabbitMqCluster } = await import("../brokers/local/rabbitmq-cluster.js");
      // Leaders spread over the nodes; without it every leader would sit on the declaring connection's node.
      const cluster = new RabbitMqCluster({ nodes: 3, config: ["queue_leader_locator = balanced"] });
      await cluster.start();
      return {
        urls: cluster.urls,
        redisCluster: false,
        description:
          "a private 3-node RabbitMQ cluster on this machine, quorum queues of 3 replicas, leaders balanced",
        cleanup: async () => undefined,
        stop: () => cluster.stop(),
      };
    }
    case "redis":
      return {
        urls: [redis],
        redisCluster: false,
        description: "one Redis server (the shared one)",
        cleanup: (topic) => removeRedisKeys(redis, topic),
        stop: async () => undefined,
      };
    case "redis-cluster": {
      const { RedisClusterProcess } = await import("../brokers/local/redis-cluster.js");
      const cluster = await RedisClusterProcess.start();
      return {
        urls: [cluster.url],
        redisCluster: true,
        description: "a private Redis Cluster on this machine: 3 primaries, 1 replica each",
        cleanup: async () => undefined,
        stop: () => cluster.stop(),
      };
    }
  }
}

/** One case: fill a backlog with one publisher, drain it with `n` consumers on `n` partitions. */
async function runCase(
  target: ScaleTargetName,
  broker: Broker,
  n: number,
  messages: number,
  log: (line: string) => void,
): Promise<ScaleCase> {
  const topic = `mqa-bench-scale-${randomBytes(4).toString("hex")}`;
  const base = {
    urls: broker.urls,
    redisCluster: broker.redisCluster,
    topic,
    partitions: n,
    prefetch: PREFETCH,
  };
  const admin = openScaleTransport(base);
  const consumers: Child<ScaleConsumeResult>[] = [];
  try {
    await admin.connect();
    await admin.declare({ topic, group: "g" });
    await admin.close();
    const job = (role: ScaleJob["role"]): ScaleJob => ({
      ...base,
      role,
      group: "g",
      messages,
      size: SIZE,
      window: WINDOW,
    });
    for (let i = 0; i < n; i++) consumers.push(startChild<ScaleConsumeResult>(job("consume")));
    await Promise.all(consumers.map((c) => c.connected));
    const publisher = startChild<ScalePublishResult>(job("publish"));
    const progress = setInterval(
      () => log(`  … ${target} ×${n}: published ${publisher.done()}/${messages}`),
      2_000,
    );
    const published = await publisher.result.finally(() => clearInterval(progress));
    for (const c of consumers) c.write("go");
    const total = () => consumers.reduce((sum, c) => sum + c.done(), 0);
    const deadline = Date.now() + 300_000;
    let lastLog = Date.now();
    while (total() < messages) {
      if (Date.now() > deadline) throw new Error(`the consumers took ${total()} of ${messages} in 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (Date.now() - lastLog > 2_000) {
        lastLog = Date.now();
        log(`  … ${target} ×${n}: consumed ${total()}/${messages}`);
      }
    }
    for (const c of consumers) c.end();
    const results = await Promise.all(consumers.map((c) => c.result));
    const firsts = results.flatMap((r) => (r.firstAt === null ? [] : [r.firstAt]));
    const lasts = results.flatMap((r) => (r.lastAt === null ? [] : [r.lastAt]));
    const seconds = Math.max(0.001, (Math.max(...lasts) - Math.min(...firsts)) / 1000);
    return {
      target,
      partitions: n,
      consumers: n,
      messages,
      publishRate: Math.round(published.published / published.seconds),
      consumeRate: Math.round(messages / seconds),
      perConsumer: results.map((r) => r.taken),
    };
  } finally {
    for (const c of consumers) c.kill();
    await admin.close().catch(() => undefined);
    await broker.cleanup(topic, n).catch(() => undefined);
  }
}

/** Run every target at every count. */
export async function runScaleOut(options: {
  targets: readonly ScaleTargetName[];
  counts: readonly number[];
  messages: number;
  amqp: string;
  redis: string;
  log: (line: string) => void;
}): Promise<ScaleReport> {
  const report: ScaleReport = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    messages: options.messages,
    size: SIZE,
    cases: [],
    failures: [],
  };
  for (const target of options.targets) {
    options.log(`${target}: starting`);
    let broker: Broker;
    try {
      broker = await openBroker(target, options.amqp, options.redis);
    } catch (err) {
      report.failures.push({ target, error: maskSecretsInText(String(err)) });
      continue;
    }
    options.log(`${target}: ${broker.description}`);
    try {
      for (const n of options.counts) {
        try {
          const c = await runCase(target, broker, n, options.messages, options.log);
          report.cases.push(c);
          options.log(
            `${target} ×${n}: publish ${c.publishRate} msg/s, consume ${c.consumeRate} msg/s (per consumer ${c.perConsumer.join("/")})`,
          );
        } catch (err) {
          report.failures.push({
            target,
            partitions: n,
            error: maskSecretsInText(err instanceof Error ? err.message : String(err)),
          });
        }
      }
    } finally {
      await broker.stop();
    }
  }
  return report;
}

/** The report as a Markdown table: consume and publish rates, and the consume speed-up over one consumer. */
export function formatScaleMarkdown(r: ScaleReport): string {
  const counts = [...new Set(r.cases.map((c) => c.partitions))].sort((a, b) => a - b);
  const targets = [...new Set(r.cases.map((c) => c.target))];
  const find = (t: string, n: number) => r.cases.find((c) => c.target === t && c.partitions === n);
  const header = `| target | ${counts.map((n) => `×${n}`).join(" | ")} |`;
  const rule = `| --- | ${counts.map(() => "---").join(" | ")} |`;
  const row = (t: string, cell: (c: ScaleCase, one: ScaleCase | undefined) => string) =>
    `| ${t} | ${counts
      .map((n) => {
        const c = find(t, n);
        return c ? cell(c, find(t, counts[0]!)) : "–";
      })
      .join(" | ")} |`;
  const lines = [
    `Scale-out, ${r.date.slice(0, 10)}: ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node};`,
    `${r.messages} messages of ${r.size} B per case; ×n = n partitions and n consumer processes (prefetch ${PREFETCH}).`,
    "",
    "Consume (msg/s, and × the one-consumer rate):",
    "",
    header,
    rule,
    ...targets.map((t) =>
      row(
        t,
        (c, one) => `${c.consumeRate}${one ? ` (${(c.consumeRate / one.consumeRate).toFixed(2)}×)` : ""}`,
      ),
    ),
    "",
    "Publish, one publisher process (msg/s):",
    "",
    header,
    rule,
    ...targets.map((t) => row(t, (c) => String(c.publishRate))),
  ];
  if (r.failures.length > 0)
    lines.push(
      "",
      "Failed:",
      ...r.failures.map((f) => `- ${f.target}${f.partitions ? ` ×${f.partitions}` : ""}: ${f.error}`),
    );
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      only: { type: "string" },
      counts: { type: "string", default: "1,2,4,8" },
      messages: { type: "string", default: "20000" },
    },
  });
  const targets = values.only ? values.only.split(",").map((t) => t.trim()) : [...SCALE_TARGETS];
  const unknown = targets.filter((t) => !(SCALE_TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0)
    throw new Error(`--only: unknown target ${unknown.join(", ")} (known: ${SCALE_TARGETS.join(", ")})`);
  const counts = values.counts.split(",").map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 32))
    throw new Error(`--counts must be integers from 1 to 32, comma-separated (got ${values.counts})`);
  const messages = Number(values.messages);
  if (!Number.isInteger(messages) || messages < 100 || messages > 10_000_000)
    throw new Error(`--messages must be an integer from 100 to 10000000 (got ${values.messages})`);
  const report = await runScaleOut({
    targets: targets as ScaleTargetName[],
    counts,
    messages,
    amqp: process.env.MQA_BENCH_AMQP ?? "amqp://guest:guest@127.0.0.1:5672",
    redis: process.env.MQA_BENCH_REDIS ?? "redis://127.0.0.1:6379",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const dir = new URL("../../bench/results/", import.meta.url);
  await mkdir(dir, { recursive: true });
  const day = report.date.slice(0, 10);
  await writeFile(new URL(`${day}-scale-out.json`, dir), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(new URL(`${day}-scale-out.md`, dir), formatScaleMarkdown(report));
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatScaleMarkdown(report));
  process.stderr.write(`written: bench/results/${day}-scale-out.json and .md\n`);
  if (report.failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  main().catch((err: unknown) => {
    process.stderr.write(`${maskSecretsInText(err instanceof Error ? err.message : String(err))}\n`);
    process.exit(1);
  });
