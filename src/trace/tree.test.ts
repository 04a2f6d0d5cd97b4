/**
 * The causation tree from messages alone: children under their cause in time order, a message whose cause
 * was not read shown as a root with a note, a causation loop broken at its earliest message, and the text
 * form with its offsets and facts.
 */
import { describe, expect, it } from "vitest";
import type { Message } from "../core/message.js";
import type { TracedMessage } from "./collect.js";
import { formatTransactionTree } from "./format.js";
import { buildTransactionTree, type TraceNode } from "./tree.js";

const T0 = Date.parse("2026-12-03T10:00:00.000Z");

function traced(
  id: string,
  topic: string,
  atMs: number,
  causationId?: string,
  extra: Partial<Message> = {},
): TracedMessage {
  return {
    message: {
      id,
      topic,
      key: undefined,
      payload: new TextEncoder().encode(JSON.stringify({ id })),
      contentType: "application/json",
      headers: {},
      timestamp: T0 + atMs,
      correlationId: "tx",
      causationId,
      attempt: 1,
      ...extra,
    },
    position: String(atMs),
    copies: 1,
  };
}

/** `id(child,child)` shape of a forest, for short assertions. */
function shape(nodes: readonly TraceNode[]): string {
  return nodes.map((n) => (n.children.length ? `${n.id}(${shape(n.children)})` : n.id)).join(",");
}

describe("buildTransactionTree", () => {
  it("puts each message under its cause, children in time order, whatever order they were read in", () => {
    const tree = buildTransactionTree("tx", [
      traced("shipped", "events.OrderShipped", 30, "captured"),
      traced("place", "commands.PlaceOrder", 0),
      traced("notify", "events.Notified", 12, "placed"),
      traced("captured", "events.PaymentCaptured", 20, "placed"),
      traced("placed", "events.OrderPlaced", 5, "place"),
    ]);
    expect(shape(tree.roots)).toBe("place(placed(notify,captured(shipped)))");
    expect(tree.messages).toBe(5);
    expect(tree.startedAt).toBe("2026-12-03T10:00:00.000Z");
    expect(tree.roots[0]?.children[0]?.children[1]?.offsetMs).toBe(20);
    expect(tree.roots[0]?.orphan).toBeUndefined();
    expect(tree.roots[0]?.payload).toEqual({ id: "place" });
  });

  it("shows a message whose cause was not read as a root with a note", () => {
    const tree = buildTransactionTree("tx", [
      traced("placed", "events.OrderPlaced", 5, "place-not-read"),
      traced("captured", "events.PaymentCaptured", 20, "placed"),
    ]);
    expect(shape(tree.roots)).toBe("placed(captured)");
    expect(tree.roots[0]?.orphan).toBe("cause-not-found");
    expect(formatTransactionTree(tree)).toContain("(cause place-not-read not found in the topics read)");
  });

  it("breaks a causation loop at its earliest message instead of hiding the messages", () => {
    const tree = buildTransactionTree("tx", [
      traced("a", "t", 1, "b"),
      traced("b", "t", 2, "a"),
      traced("self", "t", 3, "self"),
    ]);
    expect(shape(tree.roots)).toBe("a(b),self");
    expect(tree.roots.map((r) => r.orphan)).toEqual(["causation-loop", "causation-loop"]);
  });

  it("prints the tree with offsets, facts and a short payload", () => {
    const tree = buildTransactionTree("tx", [
      traced("place", "shop.commands.PlaceOrder", 0, undefined, {
        headers: { "x-mqa-message-kind": "command", "x-mqa-message-name": "PlaceOrder", tenant: "eu" },
      }),
      { ...traced("placed", "shop.events.OrderPlaced", 4, "place", { key: "o-1", attempt: 2 }), copies: 2 },
      traced("late", "shop.events.OrderShipped", 12_345, "placed"),
    ]);
    expect(formatTransactionTree(tree, { headers: ["tenant"] }).split("\n")).toEqual([
      "transaction tx: 3 messages on 3 topics, from 2026-12-03T10:00:00.000Z",
      '└─ shop.commands.PlaceOrder  +0 ms  place  [command PlaceOrder, tenant=eu]  {"id":"place"}',
      '   └─ shop.events.OrderPlaced  +4 ms  placed  [key o-1, attempt 2, 2 copies]  {"id":"placed"}',
      '      └─ shop.events.OrderShipped  +12.3 s  late  {"id":"late"}',
    ]);
  });

  it("is empty for no messages", () => {
    expect(buildTransactionTree("tx", [])).toEqual({
      correlationId: "tx",
      startedAt: undefined,
      messages: 0,
      roots: [],
    });
  });
});
