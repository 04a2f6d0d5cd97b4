/**
 * The child process of the memory figure (src/bench/memory.ts): one role per process, so its resident
 * set is the role's own. Reads its job as JSON from argv[2]; writes JSON lines on stdout — `progress`
 * lines, then one `result` line — and exits. Not an API: run only by memory.ts.
 *
 * Roles: `fill` publishes a backlog through mqa; `consume` subscribes with a prefetch and acks until it has
 * taken its share or its time is up; `fill-consume` does both (memory://, whose broker lives in the
 * process); `down` publishes to a broker that is not there until a publish rejects.
 */
import { setImmediate as turn } from "node:timers/promises";
import { createTransport } from "../connect.js";
import type { Transport } from "../core/transport.js";
import type { BrokerTlsOptions } from "../connect.js";

export interface ChildJob {
  role: "fill" | "consume" | "fill-consume" | "down";
  broker: string;
  tls?: BrokerTlsOptions;
  topic: string;
  group: string;
  queueType: "quorum" | "classic";
  /** Messages to publish (fill) or to take (consume); publish attempts at most (down). */
  messages: number;
  consume: number;
  size: number;
  prefetch: number;
  window: number;
  timeLimitMs: number;
}

/** What a consume role measured. */
export interface ConsumeResult {
  /** Messages taken within the count or the time (the figure's rate is of these). */
  consumed: number;
  /** Every message acked, including those the subscription settled while it closed. */
  acked: number;
  seconds: number;
  rate: number;
  stoppedBy: "count" | "time";
  rssBeforeMiB: number;
  peakRssMiB: number;
  maxRssMiB: number;
  heapUsedMiB: number;
}

/** What a fill role did. */
export interface FillResult {
  filled: number;
  seconds: number;
  rate: number;
}

/** What the down-broker publisher saw. */
export interface DownResult {
  attempted: number;
  /** Publishes still waiting (neither resolved nor rejected) when the first one rejected. */
  waitingAtFirstRejection: number | null;
  /** Index of the first publish that rejected (null: none did within the limits). */
  firstRejectedAt: number | null;
  error: { code: string; name: string; message: string } | null;
  seconds: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Tracks the peak resident set from now on (sampled every 20 ms, and at each call of `sample`). */
class RssSampler {
  peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 20);
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

async function open(job: ChildJob, options: { initialConnectTimeoutMs?: number } = {}): Promise<Transport> {
  const transport = await createTransport(job.broker, {
    ...(job.tls ? { tls: job.tls } : {}),
    ...options,
    amqp: { queueType: job.queueType, prefetch: job.prefetch },
  });
  return transport;
}

async function fill(job: ChildJob, transport: Transport): Promise<FillResult> {
  const payload = Buffer.alloc(job.size, 0x61);
  const started = performance.now();
  let next = 0;
  let done = 0;
  let lastReport = started;
  const lane = async (): Promise<void> => {
    while (next < job.messages) {
      next++;
      await transport.publish(job.topic, { payload, contentType: "application/octet-stream" });
      done++;
      const now = performance.now();
      if (now - lastReport > 500) {
        lastReport = now;
        emit({ progress: { phase: "fill", done, total: job.messages } });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.window, job.messages) }, lane));
  const seconds = (performance.now() - started) / 1000;
  emit({ progress: { phase: "fill", done, total: job.messages } });
  return { filled: done, seconds: Math.round(seconds * 10) / 10, rate: Math.round(done / seconds) };
}

async function consume(job: ChildJob, transport: Transport): Promise<ConsumeResult> {
  if (typeof global.gc === "function") global.gc();
  const rssBefore = process.memoryUsage.rss();
  const sampler = new RssSampler();
  let consumed = 0;
  let taken = -1;
  let resolve: (by: "count" | "time") => void = () => undefined;
  const finished = new Promise<"count" | "time">((r) => (resolve = r));
  // The subscription acks a few more while it closes: those are not counted.
  const finish = (by: "count" | "time"): void => {
    if (taken >= 0) return;
    taken = consumed;
    resolve(by);
  };
  const started = performance.now();
  let lastReport = started;
  const sub = await transport.subscribe(
    job.topic,
    job.group,
    async (d) => {
      await d.ack();
      if (++consumed === job.consume) finish("count");
      const now = performance.now();
      if (now - lastReport > 500) {
        lastReport = now;
        emit({ progress: { phase: "consume", done: consumed, total: job.consume } });
      }
    },
    { prefetch: job.prefetch },
  );
  const timer = setTimeout(() => finish("time"), job.timeLimitMs);
  const stoppedBy = await finished;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const peak = sampler.stop();
  await sub.close({ timeoutMs: 5000 });
  return {
    consumed: taken,
    acked: consumed,
    seconds: Math.round(seconds * 10) / 10,
    rate: Math.round(taken / seconds),
    stoppedBy,
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: mib(peak),
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    heapUsedMiB: mib(process.memoryUsage().heapUsed),
  };
}

/** Publish to a broker that is not there, without waiting, until a publish rejects or the limits end it. */
async function down(job: ChildJob): Promise<DownResult> {
  const rssBefore = process.memoryUsage.rss();
  const sampler = new RssSampler();
  const transport = await open(job, { initialConnectTimeoutMs: job.timeLimitMs * 2 });
  transport.connect().catch(() => undefined); // it cannot connect; the publishes say how that ends
  const payload = Buffer.alloc(job.size, 0x61);
  const started = performance.now();
  let attempted = 0;
  let settled = 0;
  let first: { at: number; waiting: number; err: unknown } | undefined;
  while (!first && attempted < job.messages && performance.now() - started < job.timeLimitMs) {
    const at = attempted++;
    transport.publish(job.topic, { payload, contentType: "application/octet-stream" }).then(
      () => settled++,
      (err: unknown) => {
        settled++;
        first ??= { at, waiting: attempted - settled, err };
      },
    );
    if (attempted % 1000 === 0) {
      await turn();
      emit({ progress: { phase: "down", done: attempted, total: job.messages } });
    }
  }
  await turn();
  const seconds = (performance.now() - started) / 1000;
  const peak = sampler.stop();
  const e = first?.err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  const result: DownResult = {
    attempted,
    waitingAtFirstRejection: first?.waiting ?? null,
    firstRejectedAt: first?.at ?? null,
    error: e
      ? { code: String(e.code ?? "none"), name: String(e.name ?? "Error"), message: String(e.message ?? e) }
      : null,
    seconds: Math.round(seconds * 10) / 10,
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: mib(peak),
  };
  await Promise.race([transport.close({ timeoutMs: 1000 }).catch(() => undefined), turn()]);
  return result;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as ChildJob;
  if (job.role === "down") {
    emit({ result: await down(job) });
    return;
  }
  const transport = await open(job);
  await transport.connect();
  await transport.declare({ topic: job.topic, group: job.group, deadLetter: true });
  const result: { fill?: FillResult; consume?: ConsumeResult } = {};
  if (job.role === "fill" || job.role === "fill-consume") result.fill = await fill(job, transport);
  if (job.role === "consume" || job.role === "fill-consume") result.consume = await consume(job, transport);
  await transport.close({ timeoutMs: 5000 });
  emit({ result });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.exit(1);
  },
);
