/**
 * Issue 15: `mqa demo --trace` (the built CLI) shows one order's trace through orders → payment →
 * notification, in memory and on the real Redis, without a tracing backend.
 */
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SpanRecord } from "../src/demo/trace-tree.js";
import { mqa } from "./support/cli.js";
import { REDIS_URL } from "./redis-helpers.js";

describe.each([
  { name: "memory", broker: "memory://" },
  { name: "redis", broker: REDIS_URL },
])("mqa demo --trace on $name", ({ broker }) => {
  it(
    "reports the trace of order 7: retries, then the payment, then the notification",
    { timeout: 60_000 },
    async () => {
      const file = join(tmpdir(), `mqa-trace-${randomBytes(4).toString("hex")}.ndjson`);
      const namespace = `mqa.tracetest.${randomBytes(3).toString("hex")}`;
      try {
        const res = await mqa(
          "demo",
          "--broker",
          broker,
          "--orders",
          "10",
          "--namespace",
          namespace,
          "--trace",
          "--trace-file",
          file,
          "--json",
        );
        expect(res.code, res.stderr).toBe(0);
        const report = JSON.parse(res.stdout) as {
          runId: string;
          trace: { orderId: string; traceId: string; spans: SpanRecord[] };
        };
        expect(report.trace.orderId).toBe(`${report.runId}-00007`);
        const spans = report.trace.spans;
        const one = (name: string, attempt?: number): SpanRecord => {
          const found = spans.filter(
            (s) => s.name === name && (attempt === undefined || s.attributes["mqa.attempt"] === attempt),
          );
          expect(found, name).toHaveLength(1);
          return found[0]!;
        };
        const send = one(`send ${namespace}.orders`);
        expect(send.parentSpanId).toBeUndefined();
        for (const attempt of [1, 2]) {
          const failed = one(`process ${namespace}.orders`, attempt);
          expect(failed.parentSpanId).toBe(send.spanId);
          expect(failed.attributes["mqa.settlement"]).toBe("retry");
        }
        const paid = one(`process ${namespace}.orders`, 3);
        expect(paid.parentSpanId).toBe(send.spanId);
        const payment = one(`send ${namespace}.payments`);
        expect(payment.parentSpanId).toBe(paid.spanId);
        const notified = one(`process ${namespace}.payments`);
        expect(notified.parentSpanId).toBe(payment.spanId);
        expect(notified.attributes).toMatchObject({
          "messaging.consumer.group.name": "notifications",
          "mqa.settlement": "ack",
        });
        expect(spans).toHaveLength(6);
        // The file holds every span of the run, this order's among them.
        const lines = (await readFile(file, "utf8"))
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as SpanRecord);
        expect(lines.length).toBeGreaterThan(spans.length);
        expect(lines.filter((s) => s.traceId === report.trace.traceId)).toHaveLength(6);
      } finally {
        await rm(file, { force: true });
      }
    },
  );
});
