import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specToFlowGraph } from "./diagram-graph.js";
import { toAscii, toMermaid } from "./diagram.js";
import { loadSpecFile, validateSpec } from "../spec/parse.js";

const shop = () => loadSpecFile(join(import.meta.dirname, "fixtures/shop.yaml"));

describe("diagram", () => {
  it("ascii follows publishers → exchanges → queues → consumers and draws retry loops and DLQs", async () => {
    const text = toAscii(specToFlowGraph(await shop()));
    expect(text).toContain("checkout [publisher] ──▶ orders [exchange]");
    expect(text).toContain("orders [exchange] ──▶ orders.billing (quorum) (#)");
    expect(text).toContain("orders.billing (quorum) ──▶ billing-worker [consumer]");
    expect(text).toContain(
      "orders.billing (quorum) ↻─▶ mqa.delay.* (27 binary delay levels) [delay queue] (retry)",
    );
    expect(text).toContain(
      "mqa.delay.* (27 binary delay levels) [delay queue] ↻─▶ orders.billing (quorum) (after the delay)",
    );
    expect(text).toContain("orders.billing (quorum) ✗─▶ mqa.dlx [exchange] (dead letter)");
    expect(text).toContain("mqa.dlx [exchange] ✗─▶ orders.billing.dlq (quorum) [dead letters]");
    expect(text).toContain(
      "group ledger on shop:{payments#1} ↻─▶ shop:{payments#1}:delayed:ledger [delayed retries] (retry)",
    );
    expect(text).toContain(
      "shop:{payments#1}:retry:ledger ↻─▶ group ledger on shop:{payments#1} (read with the topic)",
    );
    expect(text).toContain(
      "group ledger on shop:{payments#1} ✗─▶ shop:{payments#1}:dlq:ledger [dead letters]",
    );
  });

  it("mermaid is a flowchart with one subgraph per vhost and dotted retry and dead-letter links", async () => {
    const text = toMermaid(specToFlowGraph(await shop()));
    const lines = text.split("\n");
    expect(lines[0]).toBe("flowchart LR");
    expect(lines).toContain('  subgraph area0["RabbitMQ vhost shop"]');
    expect(lines).toContain('  subgraph area1["Redis"]');
    expect(text).toMatch(/n\d+ -\.->\|"after the delay"\| n\d+/);
    expect(text).toMatch(/n\d+ -\.->\|"dead letter"\| n\d+/);
    expect(text).toMatch(/linkStyle [\d,]+ stroke:#c00/);
    // Every edge names declared nodes.
    const ids = new Set([...text.matchAll(/^\s+(n\d+)[[({/]/gm)].map((m) => m[1]));
    for (const m of text.matchAll(/^\s+(n\d+) -[-.]+>(?:\|[^|]*\|)? (n\d+)$/gm)) {
      expect(ids.has(m[1])).toBe(true);
      expect(ids.has(m[2])).toBe(true);
    }
  });

  it("draws groups where they really are: an existing exchange and an attached queue with its owner's bindings", () => {
    const spec = validateSpec({
      version: 1,
      rabbitmq: {
        vhosts: [{ name: "/" }],
        topics: [
          {
            name: "orders",
            exchange: "shop.events",
            existing: true,
            publishers: ["checkout"],
            groups: [
              { name: "billing", queue: "billing-q", existing: true, consumers: ["billing-svc"] },
              { name: "audit", bindings: ["order.*"], consumers: ["auditor"] },
            ],
          },
        ],
      },
    });
    const text = toAscii(specToFlowGraph(spec));
    expect(text).toContain("checkout [publisher] ──▶ shop.events [exchange]");
    expect(text).toMatch(/shop\.events \[exchange\] ──▶ billing-q.* \(existing bindings\)/);
    expect(text).toMatch(/billing-q.* ──▶ billing-svc \[consumer\]/);
    expect(text).toMatch(/shop\.events \[exchange\] ──▶ orders\.audit.* \(order\.\*\)/);
  });

  it("draws the retry loop and dead letters of a stream another program owns", () => {
    const spec = validateSpec({
      version: 1,
      redis: {
        streams: [
          { name: "orders", key: "orders", fields: { payload: "data" }, groups: [{ name: "billing" }] },
        ],
      },
    });
    const text = toAscii(specToFlowGraph(spec));
    expect(text).toContain("orders ──▶ group billing on orders");
    expect(text).toMatch(/group billing on orders ↻─▶ mqa:\{orders\}:key:orders:delayed:billing/);
    expect(text).toMatch(/group billing on orders ✗─▶ mqa:\{orders\}:key:orders:dlq:billing/);
  });
});
