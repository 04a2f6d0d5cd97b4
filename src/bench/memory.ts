/**
 * The memory figure (issue 12): a backlog of `messages` (default 1,000,000 × 256 B) on a broker, then one
 * consumer per prefetch — each a child process of its own, so its resident set is the consumer's — taking
 * its share of the backlog while its RSS is sampled; and a publisher facing a down broker (a closed port)
 * with mqa's default buffer bounds: its peak RSS and the error it rejects with once the buffer is full.
 * Printed, never asserted.
 *
 * On memory:// the broker lives in the consumer's process, so each child fills its own backlog first and
 * its RSS includes the backlog: read the growth from `rssBeforeMiB` (after the fill) to the peak.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { BrokerTlsOptions } from "../connect.js";
import { removeTopic } from "../cleanup/remove-topic.js";
import { parseOptions } from "../core/options.js";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import type { ChildJob, ConsumeResult, DownResult, FillResult } from "./memory-child.js";

const schema = z.strictObject({
  /** memory://, amqp://…, redis://…. */
  broker: z.string().min(1),
  /** Backlog size. @defaultValue 1,000,000 */
  messages: z.number().int().min(1).max(20_000_000).default(1_000_000),
  /** Payload bytes. @defaultValue 256 */
  size: z
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(256),
  /** One consumer run per prefetch. @defaultValue [10, 100, 1000] */
  prefetches: z.array(z.number().int().min(1).max(65_535)).min(1).max(10).default([10, 100, 1000]),
  /** Messages each consumer takes. @defaultValue min(50,000, messages / prefetches) */
  consume: z.number().int().min(1).optional(),
  /** Seconds a consumer runs at most (it reports what it took by then). @defaultValue 60 */
  consumeSeconds: z.number().positive().max(3600).default(60),
  /** Publishes in flight while filling. @defaultValue 500 */
  window: z.number().int().min(1).max(65_535).default(500),
  /** RabbitMQ queue type. @defaultValue "quorum" */
  queueType: z.enum(["quorum", "classic"]).default("quorum"),
  /** Also run the down-broker publisher (not on memory://). @defaultValue true */
  downBroker: z.boolean().default(true),
  /** TLS settings for amqps:// or rediss://. @defaultValue Node's defaults */
  tls: z
    .custom<BrokerTlsOptions>((v) => typeof v === "object" && v !== null, { message: "must be TLS settings" })
    .optional(),
});

export type MemoryBenchOptions = z.input<typeof schema>;

/** One consumer run. */
export interface MemoryConsumer extends ConsumeResult {
  prefetch: number;
  /** Messages in the backlog when this consumer started. */
  backlog: number;
}

export interface MemoryReport {
  broker: string;
  /** The run's topic (`mqa.bench.mem.<id>`, with `.p<prefetch>` on memory://), removed at the end. */
  topic: string;
  settings: {
    messages: number;
    size: number;
    consume: number;
    consumeSeconds: number;
    queueType: string | null;
  };
  /** The network broker's fill (memory://: each consumer's own, in `fills`). */
  fill: FillResult | null;
  fills: FillResult[];
  consumers: MemoryConsumer[];
  /** The publisher facing a closed port; null on memory:// or when not asked for. */
  downBroker: (DownResult & { broker: string }) | null;
  notes: string[];
  durationMs: number;
}

export interface MemoryProgress {
  phase: string;
  done: number;
  total: number;
}

const childFile = fileURLToPath(new URL("./memory-child.js", import.meta.url));

/** Run one child with `job`; resolves with its result line. */
function runChild<T>(job: ChildJob, onProgress?: (p: MemoryProgress) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", childFile, JSON.stringify(job)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffered = "";
    let result: T | undefined;
    let error: string | undefined;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const msg = JSON.parse(line) as { progress?: MemoryProgress; result?: T; error?: string };
          if (msg.progress) onProgress?.(msg.progress);
          if (msg.result) result = msg.result;
          if (msg.error) error = msg.error;
        } catch {
          // not a line of ours (a library printing): ignored
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (result !== undefined && code === 0) resolve(result);
      else
        reject(
          new Error(
            maskSecretsInText(
              `memory bench child (${job.role}) failed with exit ${code}: ${error ?? stderr.trim().split("\n").slice(-3).join(" | ")}`,
            ),
          ),
        );
    });
  });
}

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** The memory figure for one broker. */
export async function runMemoryBench(
  input: MemoryBenchOptions,
  onProgress?: (p: MemoryProgress) => void,
): Promise<MemoryReport> {
  const o = parseOptions(schema, input, "memory bench options");
  const started = Date.now();
  const protocol = new URL(o.broker).protocol;
  const embedded = protocol === "memory:";
  const isAmqp = protocol === "amqp:" || protocol === "amqps:";
  const consume = o.consume ?? Math.max(1, Math.min(50_000, Math.floor(o.messages / o.prefetches.length)));
  const topic = `mqa.bench.mem.${randomBytes(3).toString("hex")}`;
  const group = "bench";
  const base: Omit<ChildJob, "role" | "prefetch"> = {
    broker: o.broker,
    ...(o.tls ? { tls: o.tls } : {}),
    topic,
    group,
    queueType: o.queueType,
    messages: o.messages,
    consume,
    size: o.size,
    window: o.window,
    timeLimitMs: o.consumeSeconds * 1000,
  };
  const consumers: MemoryConsumer[] = [];
  const fills: FillResult[] = [];
  let fill: FillResult | null = null;
  const tag = (what: string) => (p: MemoryProgress) => onProgress?.({ ...p, phase: `${what}: ${p.phase}` });
  try {
    if (!embedded) {
      const r = await runChild<{ fill: FillResult }>(
        { ...base, role: "fill", prefetch: o.prefetches[0] as number },
        tag(`backlog of ${o.messages}`),
      );
      fill = r.fill;
    }
    let backlog = fill?.filled ?? o.messages;
    for (const prefetch of o.prefetches) {
      const r = await runChild<{ fill?: FillResult; consume: ConsumeResult }>(
        {
          ...base,
          // memory://: every child has its own broker, so its own full backlog under a topic of its own
          ...(embedded ? { topic: `${topic}.p${prefetch}` } : {}),
          role: embedded ? "fill-consume" : "consume",
          consume: embedded ? consume : Math.max(1, Math.min(consume, backlog)),
          prefetch,
        },
        tag(`consumer, prefetch ${prefetch}`),
      );
      if (r.fill) fills.push(r.fill);
      consumers.push({ prefetch, backlog: embedded ? (r.fill?.filled ?? 0) : backlog, ...r.consume });
      if (!embedded) backlog -= r.consume.acked;
    }
  } finally {
    if (!embedded)
      await removeTopic(o.broker, topic, [group], o.tls ? { tls: o.tls } : {}).catch(() => undefined);
  }

  let downBroker: MemoryReport["downBroker"] = null;
  if (o.downBroker && !embedded) {
    const u = new URL(o.broker);
    u.port = String(await closedPort());
    u.hostname = "127.0.0.1";
    const r = await runChild<DownResult>(
      {
        ...base,
        broker: u.toString(),
        topic: `${topic}.down`,
        role: "down",
        prefetch: 1,
        messages: 200_000,
        timeLimitMs: 20_000,
      },
      tag("publisher, broker down"),
    );
    downBroker = {
      broker: maskUrl(u.toString()),
      ...r,
      error: r.error && { ...r.error, message: maskSecretsInText(r.error.message) },
    };
  }
  return {
    broker: maskUrl(o.broker),
    topic,
    settings: {
      messages: o.messages,
      size: o.size,
      consume,
      consumeSeconds: o.consumeSeconds,
      queueType: isAmqp ? o.queueType : null,
    },
    fill,
    fills,
    consumers,
    downBroker,
    notes: [
      "each consumer is a child process of its own: its RSS is the consumer's; peak sampled every 20 ms while it consumes, maxRss is the kernel's peak over the process's life",
      embedded
        ? "memory://: the broker lives in the consumer's process, so each child fills its own backlog and its RSS includes it; read the growth from rssBefore to the peak"
        : "the consumers take their shares of one backlog one after another, so each meets a smaller backlog than the one before",
      ...(downBroker
        ? [
            "down broker: a publisher with mqa's default bounds publishes to a closed port without waiting, until a publish rejects (at most 200,000 attempts or 20 s)",
          ]
        : []),
    ],
    durationMs: Date.now() - started,
  };
}

/** Plain-text table of a memory report. */
export function formatMemoryText(r: MemoryReport): string {
  const lines = [
    `mqa memory bench on ${r.broker}: ${r.settings.messages.toLocaleString("en-US")} × ${r.settings.size} B backlog` +
      `${r.settings.queueType ? ` (${r.settings.queueType})` : ""}; each consumer takes up to ${r.settings.consume.toLocaleString("en-US")} or ${r.settings.consumeSeconds} s`,
    ...(r.fill
      ? [`  backlog filled in ${r.fill.seconds} s (${r.fill.rate.toLocaleString("en-US")} msg/s)`]
      : []),
    "",
    ...memoryRows(r).map((row) => `  ${row.join("  ")}`),
    "",
    ...downLines(r).map((l) => `  ${l}`),
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

function memoryRows(r: MemoryReport): string[][] {
  const head = [
    "prefetch",
    "backlog",
    "consumed",
    "msg/s",
    "RSS before MiB",
    "peak RSS MiB",
    "growth MiB",
    "max RSS MiB",
  ];
  const rows = r.consumers.map((c) => [
    String(c.prefetch),
    c.backlog.toLocaleString("en-US"),
    `${c.consumed.toLocaleString("en-US")}${c.stoppedBy === "time" ? " (time)" : ""}`,
    c.rate.toLocaleString("en-US"),
    c.rssBeforeMiB.toFixed(1),
    c.peakRssMiB.toFixed(1),
    (c.peakRssMiB - c.rssBeforeMiB).toFixed(1),
    c.maxRssMiB.toFixed(1),
  ]);
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all.map((row) => row.map((c, i) => c.padStart(widths[i] as number)));
}

function downLines(r: MemoryReport): string[] {
  const d = r.downBroker;
  if (!d) return [];
  return [
    d.error
      ? `down broker (${d.broker}): publish #${d.firstRejectedAt} rejected after ${d.seconds} s with ${d.waitingAtFirstRejection} waiting: ${d.error.code} — ${d.error.message}`
      : `down broker (${d.broker}): no publish rejected within ${d.attempted.toLocaleString("en-US")} attempts / ${d.seconds} s — the buffer is NOT bounded`,
    `down broker: RSS ${d.rssBeforeMiB.toFixed(1)} → peak ${d.peakRssMiB.toFixed(1)} MiB`,
  ];
}

/** Markdown section of a memory report. */
export function formatMemoryMarkdown(r: MemoryReport): string {
  const rows = memoryRows(r).map((row) => row.map((c) => c.trim()));
  const [head, ...body] = rows;
  return [
    `### Memory: ${r.broker}${r.settings.queueType ? ` (${r.settings.queueType})` : ""}, ${r.settings.messages.toLocaleString("en-US")} × ${r.settings.size} B backlog`,
    "",
    ...(r.fill
      ? [`Backlog filled in ${r.fill.seconds} s (${r.fill.rate.toLocaleString("en-US")} msg/s).`, ""]
      : []),
    `| ${(head ?? []).join(" | ")} |`,
    `| ${(head ?? []).map(() => "---:").join(" | ")} |`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
    "",
    ...downLines(r).map((l) => `- ${l}`),
    ...r.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}
