/**
 * The causation tree of one business transaction: each message under the message that caused it (its
 * causation id), children in time order. A message whose cause was not among the messages read (a topic not
 * read, history already removed, a `--since` after it) is a root with a note, so nothing read is hidden;
 * a causation loop (ids that name each other, which only a broken producer makes) is broken the same way.
 */
import type { Message } from "../core/message.js";
import type { TracedMessage } from "./collect.js";

/** Why a message is a root although it has a causation id. */
export type OrphanReason = "cause-not-found" | "causation-loop";

/** One message in the tree. */
export interface TraceNode {
  readonly id: string;
  readonly topic: string;
  /** Publish time, ISO 8601. */
  readonly time: string;
  /** Milliseconds after the transaction's first message. */
  readonly offsetMs: number;
  readonly causationId: string | undefined;
  /** Set for a root that has a causation id: why it is not under its cause. */
  readonly orphan: OrphanReason | undefined;
  readonly key: string | undefined;
  readonly attempt: number;
  /** How many copies of this id were read (more than 1: published again with the same id). */
  readonly copies: number;
  /** Where it was read: stream offset or entry id. */
  readonly position: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The payload: JSON as a value, else UTF-8 text, else `{ base64 }`. */
  readonly payload: unknown;
  readonly children: TraceNode[];
}

/** A transaction as a forest of causation trees. */
export interface TransactionTree {
  readonly correlationId: string;
  /** Time of the first message, ISO 8601 (undefined when none was found). */
  readonly startedAt: string | undefined;
  readonly messages: number;
  readonly roots: TraceNode[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON as a value, else text, else base64. */
export function decodePayload(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString("base64") };
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Draft {
  readonly traced: TracedMessage;
  orphan: OrphanReason | undefined;
  readonly children: Draft[];
}

/** Build the tree of `messages` (those of `correlationId`, any order). */
export function buildTransactionTree(
  correlationId: string,
  messages: readonly TracedMessage[],
): TransactionTree {
  const sorted = [...messages].sort(
    (a, b) => a.message.timestamp - b.message.timestamp || a.position.localeCompare(b.position),
  );
  const drafts = new Map<string, Draft>();
  for (const traced of sorted)
    if (!drafts.has(traced.message.id))
      drafts.set(traced.message.id, { traced, orphan: undefined, children: [] });
  const roots: Draft[] = [];
  for (const d of drafts.values()) {
    const cause = d.traced.message.causationId;
    const parent = cause === undefined ? undefined : drafts.get(cause);
    if (parent && parent !== d) parent.children.push(d);
    else {
      if (cause !== undefined) d.orphan = parent === d ? "causation-loop" : "cause-not-found";
      roots.push(d);
    }
  }
  // Messages in a loop are reachable from no root: make the earliest of each loop a root.
  const reached = new Set<Draft>();
  const mark = (d: Draft): void => {
    const stack = [d];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (reached.has(x)) continue;
      reached.add(x);
      stack.push(...x.children);
    }
  };
  roots.forEach(mark);
  for (const d of drafts.values()) {
    if (reached.has(d)) continue;
    const parent = drafts.get(d.traced.message.causationId!)!;
    parent.children.splice(parent.children.indexOf(d), 1);
    d.orphan = "causation-loop";
    roots.push(d);
    mark(d);
  }
  const t0 = sorted[0]?.message.timestamp;
  const toNode = (d: Draft): TraceNode => nodeOf(d, t0 ?? 0, toNode);
  roots.sort((a, b) => a.traced.message.timestamp - b.traced.message.timestamp);
  return {
    correlationId,
    startedAt: t0 === undefined ? undefined : new Date(t0).toISOString(),
    messages: drafts.size,
    roots: roots.map(toNode),
  };
}

function nodeOf(d: Draft, t0: number, toNode: (d: Draft) => TraceNode): TraceNode {
  const m: Message = d.traced.message;
  return {
    id: m.id,
    topic: m.topic,
    time: new Date(m.timestamp).toISOString(),
    offsetMs: m.timestamp - t0,
    causationId: m.causationId,
    orphan: d.orphan,
    key: m.key,
    attempt: m.attempt,
    copies: d.traced.copies,
    position: d.traced.position,
    headers: m.headers,
    payload: decodePayload(m.payload),
    children: d.children.map(toNode), // already in time order: drafts were made from the sorted list
  };
}
