/**
 * Issue 15: trace context through work stored now and done later — an outbox row published by the relay,
 * and saga steps — against the real PostgreSQL, checked with the SDK's InMemorySpanExporter.
 */
import { randomBytes } from "node:crypto";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { enqueue, ensureOutboxTable, OutboxRelay } from "../src/outbox/outbox.js";
import { defineSaga, ensureSagaTable, SagaRunner } from "../src/saga/saga.js";
import { waitFor } from "../src/testing/mod.js";
import { withTracing } from "../src/tracing/mod.js";
import { parseTraceParent } from "../src/tracing/w3c.js";
import { memoryTransport } from "./support/memory.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const table = `mqa_trace_${randomBytes(4).toString("hex")}`;

beforeAll(() => {
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);
});
afterEach(() => exporter.reset());
afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}_outbox, ${table}_sagas`);
  await pool.end();
  api.trace.disable();
  api.context.disable();
  await provider.shutdown();
});

const inSpan = <T>(name: string, fn: () => Promise<T>): Promise<{ span: api.Span; value: T }> => {
  const span = provider.getTracer("test").startSpan(name);
  return api.context
    .with(api.trace.setSpan(api.context.active(), span), fn)
    .then((value) => ({ span, value }))
    .finally(() => span.end());
};

describe("trace context through stored work", () => {
  it("an outbox row carries the enqueuing span; the relay's publish and the consumer continue it", async () => {
    await ensureOutboxTable(pool, `${table}_outbox`);
    await pool.query(`DELETE FROM ${table}_outbox`); // what another test of this file left
    const raw = await memoryTransport();
    const transport = await withTracing(raw);
    await transport.declare({ topic: "invoices", group: "mail" });
    let processed = 0;
    await transport.subscribe("invoices", "mail", async (d) => {
      processed++;
      await d.ack();
    });
    const { span: root } = await inSpan("place order", async () => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await enqueue(
          client,
          "invoices",
          { id: "inv-1", payload: new Uint8Array([1]) },
          { table: `${table}_outbox` },
        );
        await client.query("COMMIT");
      } finally {
        client.release();
      }
    });
    const stored = (await pool.query(`SELECT headers FROM ${table}_outbox`)).rows[0].headers as Record<
      string,
      string
    >;
    expect(parseTraceParent(stored["traceparent"])).toMatchObject({ spanId: root.spanContext().spanId });
    // The relay runs later, outside any span.
    const relay = new OutboxRelay({ pool, transport, table: `${table}_outbox` });
    expect(await relay.relayOnce()).toBe(1);
    await waitFor(() => processed === 1);
    await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === "process invoices"));
    const spans = exporter.getFinishedSpans();
    const send = spans.find((s) => s.name === "send invoices")!;
    const process = spans.find((s) => s.name === "process invoices")!;
    expect(send.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(send.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    await transport.close();
  });

  it("saga steps are spans of the starting trace, and what a step enqueues carries its span", async () => {
    await ensureSagaTable(pool, `${table}_sagas`);
    await ensureOutboxTable(pool, `${table}_outbox`);
    await pool.query(`DELETE FROM ${table}_outbox`);
    const saga = defineSaga<{ orderId: string }>("checkout", [
      { name: "reserve", run: async () => undefined },
      {
        name: "charge",
        run: async (data) => {
          await enqueue(
            pool,
            "payments",
            { id: `pay-${data.orderId}`, payload: new Uint8Array([1]) },
            { table: `${table}_outbox` },
          );
        },
      },
    ]);
    const runner = new SagaRunner({ db: pool, table: `${table}_sagas` });
    const { span: root, value: state } = await inSpan("checkout request", () =>
      runner.start(saga, `order-${randomBytes(3).toString("hex")}`, { orderId: "o-7" }),
    );
    expect(state.status).toBe("completed");
    const stored = (await pool.query(`SELECT trace_context FROM ${table}_sagas WHERE id = $1`, [state.id]))
      .rows[0].trace_context as Record<string, string>;
    expect(parseTraceParent(stored["traceparent"])?.spanId).toBe(root.spanContext().spanId);
    const steps = exporter.getFinishedSpans().filter((s) => s.name.startsWith("saga checkout "));
    expect(steps.map((s) => s.name).sort()).toEqual(["saga checkout charge", "saga checkout reserve"]);
    for (const s of steps) expect(s.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const charge = steps.find((s) => s.name === "saga checkout charge")!;
    const row = (await pool.query(`SELECT headers FROM ${table}_outbox`)).rows[0].headers as Record<
      string,
      string
    >;
    expect(parseTraceParent(row["traceparent"])?.spanId).toBe(charge.spanContext().spanId);
  });

  it("a saga resumed by another runner, outside any span, still continues the stored trace", async () => {
    await ensureSagaTable(pool, `${table}_sagas`);
    const saga = defineSaga<{ n: number }>("resumable", [
      {
        name: "only",
        attempts: 1,
        run: async () => undefined,
      },
    ]);
    const id = `r-${randomBytes(3).toString("hex")}`;
    // Stored as if a coordinator died mid-way: running, step 0, with the trace of the request that started it.
    const { span: root } = await inSpan("request", async () => undefined);
    const traceparent = `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`;
    await pool.query(
      `INSERT INTO ${table}_sagas (id, saga, status, step, data, trace_context) VALUES ($1, 'resumable', 'running', 0, '{}', $2)`,
      [id, JSON.stringify({ traceparent })],
    );
    const [done] = await new SagaRunner({ db: pool, table: `${table}_sagas` }).resume(saga);
    expect(done?.status).toBe("completed");
    const [step] = exporter.getFinishedSpans().filter((s) => s.name === "saga resumable only");
    expect(step!.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(step!.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });
});
