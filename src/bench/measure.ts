/**
 * The three measurements, identical for every target: publish-with-confirm throughput (bounded
 * window), consume-with-ack throughput (from a full queue), and end-to-end latency measured open-loop:
 * each message has an intended send time on a fixed-rate schedule, written into its payload, and its
 * latency is counted from that time, so a stalled sender cannot hide queueing delay (no coordinated
 * omission).
 */
import * as hdr from "hdr-histogram-js";
import type { BenchQueue } from "./target.js";

/** Wall clock with sub-millisecond resolution. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A payload of `size` bytes whose first 8 bytes hold `stamp` (a float64 time). */
export function makePayload(size: number, stamp = 0): Buffer {
  const b = Buffer.alloc(Math.max(size, 8), 0x61);
  b.writeDoubleLE(stamp, 0);
  return b;
}

/** A throughput round: its rate and the client CPU it cost. */
export interface RoundFigures {
  /** Messages per second. */
  rate: number;
  /**
   * Client CPU (user + system of this process, `process.cpuUsage`) per message, µs: the bench's own loop
   * is the same on both sides, so the difference is the code under test.
   */
  cpuUsPerMsg: number;
}

/** CPU µs per message since `start` (a `process.cpuUsage()` reading). */
function cpuPerMessage(start: NodeJS.CpuUsage, n: number): number {
  const used = process.cpuUsage(start);
  return Math.round(((used.user + used.system) / n) * 100) / 100;
}

/** Publish `n` messages with at most `window` unconfirmed; rate and CPU per message. */
export async function measurePublish(
  q: BenchQueue,
  n: number,
  size: number,
  window: number,
): Promise<RoundFigures> {
  const payload = makePayload(size);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = now();
  const lane = async (): Promise<void> => {
    while (next < n) {
      next++;
      await q.publish(payload);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, lane));
  const rate = (n / (now() - started)) * 1000;
  return { rate, cpuUsPerMsg: cpuPerMessage(cpu, n) };
}

/** Consume (and ack) `n` messages already in the queue; rate and CPU per message. */
export async function measureConsume(q: BenchQueue, n: number, prefetch: number): Promise<RoundFigures> {
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const cpu = process.cpuUsage();
  const started = now();
  const stop = await q.consume(prefetch, () => {
    if (++seen === n) done();
  });
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 120_000)));
  const timedOut = await Promise.race([finished.then(() => false), gaveUp]);
  clearTimeout(timer);
  const elapsed = now() - started;
  const cpuUsPerMsg = cpuPerMessage(cpu, n);
  await stop();
  if (timedOut) throw new Error(`consume round received ${seen} of ${n} messages within 120 s`);
  return { rate: (n / elapsed) * 1000, cpuUsPerMsg };
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  p999: number;
  /** Rate actually achieved by the sender, msg/s. */
  sentRate: number;
}

/** Open-loop latency at `rate` msg/s over `n` messages, in ms from the intended send time. */
export async function measureLatency(
  q: BenchQueue,
  n: number,
  size: number,
  rate: number,
  prefetch: number,
  drainMs = 30_000,
): Promise<LatencyFigures> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const stop = await q.consume(prefetch, (payload) => {
    const intended = payload.readDoubleLE(0);
    histogram.recordValue(Math.max(1, Math.round((now() - intended) * 1000)));
    if (++seen === n) done();
  });
  const interval = 1000 / rate;
  const start = now() + 20;
  const failures: unknown[] = [];
  let i = 0;
  // The schedule, not the previous send's completion, decides when the next message goes out.
  while (i < n) {
    const t = now();
    while (i < n && start + i * interval <= t) {
      q.publish(makePayload(size, start + i * interval)).catch((err: unknown) => failures.push(err));
      i++;
    }
    const wait = start + i * interval - now();
    await new Promise((r) => (wait > 1 ? setTimeout(r, Math.floor(wait)) : setImmediate(r)));
  }
  const sentRate = (n / (now() - start)) * 1000;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, drainMs)))]);
  clearTimeout(timer);
  await stop();
  if (failures.length > 0) throw failures[0];
  if (seen < n)
    throw new Error(
      `latency round received ${seen} of ${n} messages within ${drainMs / 1000} s of the last send: ` +
        `the side does not sustain ${Math.round(rate)} msg/s here (lower --rate)`,
    );
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    sentRate,
  };
}
