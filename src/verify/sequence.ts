/**
 * What a verify message carries: the run it belongs to, a unique sequence number, whether it is
 * poison, and the time it was sent. The same fields sit in headers, so a dead letter whose payload a
 * broker rewrote can still be identified.
 */
import { z } from "zod";

export const VERIFY_RUN_HEADER = "x-mqa-verify-run";
export const VERIFY_SEQ_HEADER = "x-mqa-verify-seq";

export interface VerifyPayload {
  run: string;
  seq: number;
  poison: boolean;
  /** Wall-clock send time, ms since the epoch with sub-millisecond fraction. */
  sentAt: number;
}

const payloadSchema = z.strictObject({
  run: z.string(),
  seq: z.number().int().nonnegative(),
  poison: z.boolean(),
  sentAt: z.number(),
});

/** Wall-clock time with sub-millisecond resolution, comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Encode a verify payload as JSON bytes. */
export function encodeVerifyPayload(p: VerifyPayload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(p));
}

/** Decode a verify payload; undefined for anything that is not one (e.g. a leftover of another tool). */
export function decodeVerifyPayload(bytes: Uint8Array): VerifyPayload | undefined {
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Sequence number from a message's headers, if it carries one. */
export function seqFromHeaders(headers: Readonly<Record<string, string>>): number | undefined {
  const raw = headers[VERIFY_SEQ_HEADER];
  if (raw === undefined) return undefined;
  const n = Number.parseInt(raw, 10);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
