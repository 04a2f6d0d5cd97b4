/**
 * A transaction tree for a terminal, in the style of `mqa demo --trace`: one line per message (topic, time
 * after the first message, id, the facts worth seeing, a short payload), children indented under their cause.
 */
import { MESSAGE_KIND_HEADER, MESSAGE_NAME_HEADER } from "../cqrs/mod.js";
import type { TraceNode, TransactionTree } from "./tree.js";

export interface FormatOptions {
  /** Headers to show on each line, by name, when a message has them. */
  headers?: readonly string[];
  /** Longest payload shown, characters (0: none). @defaultValue 80 */
  payloadWidth?: number;
}

/** The tree as text: a heading line, then the tree. */
export function formatTransactionTree(tree: TransactionTree, options: FormatOptions = {}): string {
  const topics = new Set<string>();
  const visit = (n: TraceNode): void => {
    topics.add(n.topic);
    n.children.forEach(visit);
  };
  tree.roots.forEach(visit);
  const lines = [
    `transaction ${tree.correlationId}: ${tree.messages} message${tree.messages === 1 ? "" : "s"} on ` +
      `${topics.size} topic${topics.size === 1 ? "" : "s"}, from ${tree.startedAt ?? "-"}`,
  ];
  const walk = (list: readonly TraceNode[], prefix: string): void => {
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${describe(n, options)}`);
      walk(n.children, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(tree.roots, "");
  return lines.join("\n");
}

/** `+1.234 s` / `+12 ms`. */
function offset(ms: number): string {
  return ms >= 10_000 ? `+${(ms / 1000).toFixed(1)} s` : `+${ms} ms`;
}

function describe(n: TraceNode, options: FormatOptions): string {
  const kind = n.headers[MESSAGE_KIND_HEADER];
  const name = n.headers[MESSAGE_NAME_HEADER];
  const facts = [
    kind !== undefined && name !== undefined ? `${kind} ${name}` : undefined,
    n.key !== undefined ? `key ${n.key}` : undefined,
    n.attempt > 1 ? `attempt ${n.attempt}` : undefined,
    n.copies > 1 ? `${n.copies} copies` : undefined,
    ...(options.headers ?? []).map((h) => (n.headers[h] === undefined ? undefined : `${h}=${n.headers[h]}`)),
  ].filter((f): f is string => f !== undefined);
  const note =
    n.orphan === "cause-not-found"
      ? `  (cause ${n.causationId} not found in the topics read)`
      : n.orphan === "causation-loop"
        ? `  (in a causation loop through ${n.causationId})`
        : "";
  const width = options.payloadWidth ?? 80;
  const payload = width > 0 ? `  ${shorten(JSON.stringify(n.payload) ?? "", width)}` : "";
  return `${n.topic}  ${offset(n.offsetMs)}  ${n.id}${facts.length > 0 ? `  [${facts.join(", ")}]` : ""}${payload}${note}`;
}

function shorten(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1))}…`;
}
