/**
 * How the console writes numbers, rates, durations and times: one place, fixed to English digits so the
 * page reads the same on every machine (and its tests can compare text).
 */
import type { DelayLevelsView } from "../../console-protocol.js";

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const DASH = "–";

/** A count: `12,480`; `–` when unknown. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : integer.format(n);
}

/** Messages per second: `12.5`; `–` when unknown. */
export function rate(r: number | null | undefined): string {
  return r === null || r === undefined ? DASH : oneDecimal.format(r);
}

/** A duration in words: `850 ms`, `42 s`, `6 min 5 s`, `3 h 12 min`, `2 d 4 h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** Wall-clock time of an epoch ms, `14:03:27`, in the browser's time zone. */
export function clock(at: number): string {
  const d = new Date(at);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Bytes in binary units: `1.5 GiB`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : oneDecimal.format(value)} ${units[unit] ?? "B"}`;
}

/** mqa's delay levels in one line: `27 delay levels, 3 holding 120 messages` (or `…, all empty`). */
export function delayLine(d: DelayLevelsView): string {
  const levels = `${count(d.levels)} delay level${d.levels === 1 ? "" : "s"}`;
  if (d.busyLevels === 0) return `${levels}, all empty`;
  return `${levels}, ${count(d.busyLevels)} holding ${count(d.backlog)} message${d.backlog === 1 ? "" : "s"}`;
}

/** `1 consumer`, `2 consumers`. */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}
