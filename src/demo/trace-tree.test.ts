import { describe, expect, it } from "vitest";
import { formatSpanTree, type SpanRecord } from "./trace-tree.js";

const span = (over: Partial<SpanRecord> & Pick<SpanRecord, "spanId" | "name" | "startMs">): SpanRecord => ({
  traceId: "t1",
  parentSpanId: undefined,
  kind: "internal",
  durationMs: 1,
  status: "unset",
  attributes: {},
  ...over,
});

describe("formatSpanTree", () => {
  it("nests children under parents in start order, and leaves other traces out", () => {
    const tree = formatSpanTree(
      [
        span({
          spanId: "c2",
          parentSpanId: "s",
          name: "process orders",
          startMs: 30,
          kind: "consumer",
          attributes: { "mqa.attempt": 2, "mqa.settlement": "ack" },
        }),
        span({ spanId: "s", name: "send orders", startMs: 10, kind: "producer" }),
        span({
          spanId: "c1",
          parentSpanId: "s",
          name: "process orders",
          startMs: 20,
          kind: "consumer",
          status: "error: attempt failed; retried",
          attributes: { "mqa.attempt": 1, "mqa.settlement": "retry" },
        }),
        span({ spanId: "p", parentSpanId: "c2", name: "send payments", startMs: 35, kind: "producer" }),
        span({ spanId: "x", traceId: "other", name: "elsewhere", startMs: 1 }),
      ],
      "t1",
    );
    expect(tree.split("\n")).toEqual([
      "└─ send orders  [producer]  +0.0 ms, 1.0 ms",
      "   ├─ process orders  [consumer, attempt 1, retry, error: attempt failed; retried]  +10.0 ms, 1.0 ms",
      "   └─ process orders  [consumer, attempt 2, ack]  +20.0 ms, 1.0 ms",
      "      └─ send payments  [producer]  +25.0 ms, 1.0 ms",
    ]);
  });

  it("shows a span whose parent is not in the trace as a root", () => {
    const tree = formatSpanTree(
      [span({ spanId: "a", parentSpanId: "gone", name: "orphan", startMs: 0 })],
      "t1",
    );
    expect(tree).toBe("└─ orphan  [internal]  +0.0 ms, 1.0 ms");
  });
});
