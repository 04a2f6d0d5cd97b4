/**
 * The spans of one trace as a tree for a terminal: what `mqa demo --trace` prints so a user sees one order
 * travel orders → payment → notification without a tracing backend.
 */

/** One finished span, reduced to what the tree and the JSON file show. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** `producer`, `consumer`, `internal`, ... */
  readonly kind: string;
  /** Start, ms since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
  /** `ok`, `error` or `unset`, with the status message when there is one. */
  readonly status: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The spans of `traceId` as an indented tree, children in start order; orphans are shown as roots. */
export function formatSpanTree(spans: readonly SpanRecord[], traceId: string): string {
  const ofTrace = spans.filter((s) => s.traceId === traceId).sort((a, b) => a.startMs - b.startMs);
  const ids = new Set(ofTrace.map((s) => s.spanId));
  const children = new Map<string | undefined, SpanRecord[]>();
  for (const s of ofTrace) {
    const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const t0 = ofTrace[0]?.startMs ?? 0;
  const lines: string[] = [];
  const walk = (parent: string | undefined, prefix: string): void => {
    const list = children.get(parent) ?? [];
    list.forEach((s, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${describe(s, t0)}`);
      walk(s.spanId, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

function describe(s: SpanRecord, t0: number): string {
  const a = s.attributes;
  const facts = [
    s.kind,
    a["mqa.attempt"] !== undefined ? `attempt ${String(a["mqa.attempt"])}` : undefined,
    a["mqa.settlement"] !== undefined ? String(a["mqa.settlement"]) : undefined,
    a["mqa.dead_letter.reason"] !== undefined ? `reason ${String(a["mqa.dead_letter.reason"])}` : undefined,
    s.status.startsWith("error") ? s.status : undefined,
  ].filter((f): f is string => f !== undefined);
  const at = `+${(s.startMs - t0).toFixed(1)} ms, ${s.durationMs.toFixed(1)} ms`;
  return `${s.name}  [${facts.join(", ")}]  ${at}`;
}
