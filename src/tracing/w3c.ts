/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) in message headers: `traceparent` and
 * `tracestate`, parsed and formatted without any OpenTelemetry package, so headers written by mqa are read
 * by every other W3C-aware client (and the other way round) whether or not a propagator is registered.
 * Input comes from the wire: anything malformed or oversized is treated as absent, never thrown.
 */

/** The header names, lowercase as the specification writes them. */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

/** Longest `tracestate` accepted or written (the spec allows 32 members of at most 256 characters). */
export const MAX_TRACESTATE_LENGTH = 512;

/** A remote span's identity as carried by `traceparent`. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** The trace flags byte (bit 0: sampled). */
  readonly traceFlags: number;
  /** The `tracestate` header, when present and well-formed. */
  readonly traceState?: string;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const TRACESTATE_MEMBER_RE =
  /^[a-z0-9][_0-9a-z\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** Parse `traceparent` (and `tracestate`); undefined when absent or invalid. */
export function parseTraceParent(
  traceparent: string | undefined,
  tracestate?: string | undefined,
): TraceParent | undefined {
  if (traceparent === undefined || traceparent.length > 512) return undefined;
  const m = TRACEPARENT_RE.exec(traceparent.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has nothing after the flags; later versions may append fields.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  const state = parseTraceState(tracestate);
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), ...(state ? { traceState: state } : {}) };
}

/** `tracestate` when well-formed and within {@link MAX_TRACESTATE_LENGTH}, else undefined. */
export function parseTraceState(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > MAX_TRACESTATE_LENGTH) return undefined;
  const members = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (members.length === 0 || members.length > 32) return undefined;
  if (!members.every((m) => TRACESTATE_MEMBER_RE.test(m))) return undefined;
  return members.join(",");
}

/** Format a span's identity as `traceparent` (version 00). */
export function formatTraceParent(p: Pick<TraceParent, "traceId" | "spanId" | "traceFlags">): string {
  return `00-${p.traceId}-${p.spanId}-${(p.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/** The headers carrying `p`: `traceparent`, and `tracestate` when it has one. */
export function traceHeaders(p: TraceParent): Record<string, string> {
  const h: Record<string, string> = { [TRACEPARENT]: formatTraceParent(p) };
  const state = parseTraceState(p.traceState);
  if (state !== undefined) h[TRACESTATE] = state;
  return h;
}
