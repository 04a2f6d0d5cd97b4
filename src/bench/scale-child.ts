/**
 * A child process of the scale-out figure (src/bench/scale-out.ts): one publisher or one consumer, each on
 * its own transport, as separate services would be. Reads its job as JSON from argv[2]; writes JSON lines on
 * stdout (`connected`, `progress`, then one `result`) and exits. A consumer connects, subscribes when the
 * parent writes `go` on its stdin, and runs until its stdin closes (once every message was taken). Not an API: run only by scale-out.ts.
 */
import { createInterface } from "node:readline";
import type { Transport } from "../core/transport.js";
import { openScaleTransport, type ScaleTarget } from "./scale-transport.js";

export interface ScaleJob extends ScaleTarget {
  role: "publish" | "consume";
  group: string;
  messages: number;
  size: number;
  window: number;
}

/** What one consumer measured (epoch ms, so the parent can combine processes). */
export interface ScaleConsumeResult {
  taken: number;
  firstAt: number | null;
  lastAt: number | null;
}

/** What the publisher measured. */
export interface ScalePublishResult {
  published: number;
  seconds: number;
}

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function publish(job: ScaleJob, transport: Transport): Promise<ScalePublishResult> {
  const payload = Buffer.alloc(job.size, 0x61);
  let next = 0;
  let done = 0;
  let lastReport = Date.now();
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < job.messages) {
      const i = next++;
      await transport.publish(job.topic, {
        key: `k${i % 1000}`,
        payload,
        contentType: "application/octet-stream",
      });
      done++;
      if (Date.now() - lastReport > 500) {
        lastReport = Date.now();
        emit({ progress: { done } });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.window, job.messages) }, lane));
  return { published: done, seconds: (performance.now() - started) / 1000 };
}

async function consume(job: ScaleJob, transport: Transport): Promise<ScaleConsumeResult> {
  let taken = 0;
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  const lines = createInterface({ input: process.stdin });
  const ended = new Promise<void>((resolve) => lines.on("close", resolve));
  // Connected; the parent says "go" once the backlog is there and every consumer is connected.
  emit({ connected: true });
  await new Promise<void>((resolve) => lines.on("line", (l) => l.trim() === "go" && resolve()));
  const sub = await transport.subscribe(
    job.topic,
    job.group,
    async (d) => {
      await d.ack();
      taken++;
      const now = Date.now();
      firstAt ??= now;
      lastAt = now;
    },
    { prefetch: job.prefetch },
  );
  const timer = setInterval(() => emit({ progress: { done: taken } }), 200);
  // The parent closes stdin once every message was taken.
  await ended;
  clearInterval(timer);
  const result = { taken, firstAt, lastAt };
  await sub.close({ timeoutMs: 5_000 });
  return result;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as ScaleJob;
  const transport = openScaleTransport(job);
  try {
    await transport.connect();
    if (job.role === "publish") emit({ result: await publish(job, transport) });
    else emit({ result: await consume(job, transport) });
  } finally {
    await transport.close({ timeoutMs: 5_000 }).catch(() => transport.abort());
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
