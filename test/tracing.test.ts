/**
 * Issue 15: W3C trace context crosses the memory, RabbitMQ and Redis transports, a retry and a dead letter.
 * Parent/child relations are read from the OpenTelemetry SDK's InMemorySpanExporter.
 */
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetterQueues } from "../src/core/dead-letter-queues.js";
import { UnrecoverableError } from "../src/core/errors.js";
import { redriveDeadLetters } from "../src/dlq/redrive.js";
import { Router } from "../src/core/router.js";
import type { Transport } from "../src/core/transport.js";
import { deadLetter } from "../src/middleware/dead-letter.js";
import { retry } from "../src/middleware/retry.js";
import { waitFor } from "../src/testing/mod.js";
import { withTracing } from "../src/tracing/mod.js";
import { parseTraceParent } from "../src/tracing/w3c.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";
import { memoryTransport, topicName } from "./support/memory.js";
import { transportFactory } from "./redis-helpers.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  api.context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  api.context.disable();
  await provider.shutdown();
});
afterEach(() => exporter.reset());

const amqpTopic = testTopics("tracing", ["pay", "notify"]);
const redis = transportFactory();
afterAll(() => redis.cleanup());
const opened: Transport[] = [];
afterAll(async () => {
  await Promise.all(opened.map((t) => t.close({ timeoutMs: 2000 }).catch(() => t.abort())));
});

const brokers: { name: string; open: () => Promise<{ transport: Transport; topic: () => string }> }[] = [
  {
    name: "memory",
    open: async () => ({ transport: await memoryTransport(), topic: () => topicName("tr") }),
  },
  {
    name: "amqp",
    open: async () => {
      const t = createAmqpTransport({ url: AMQP_URL });
      opened.push(t);
      return { transport: t, topic: amqpTopic };
    },
  },
  {
    name: "redis",
    open: async () => ({
      transport: redis.create(),
      topic: () => `tr-${Math.random().toString(36).slice(2, 8)}`,
    }),
  },
];

const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

describe.each(brokers)("trace context on $name", (broker) => {
  it(
    "follows an order through a retry, a follow-up publish, a dead letter and a redrive",
    { timeout: 30_000 },
    async () => {
      const { transport: raw, topic } = await broker.open();
      const transport = await withTracing(raw, { tracerProvider: provider });
      const orders = topic();
      const payments = topic();
      let notified = 0;
      let refuse = true;
      const router = new Router(transport, {
        middleware: [deadLetter(), retry({ attempts: 3, baseMs: 10, maxMs: 20 })],
      });
      router.handle({
        topic: orders,
        group: "pay",
        handler: async (_order, ctx) => {
          if (ctx.message.attempt === 1) throw new Error("gateway timed out");
          await ctx.publish(payments, { paid: true }, { id: `pay-${ctx.message.id}` });
        },
      });
      router.handle({
        topic: payments,
        group: "notify",
        handler: async () => {
          notified++;
          if (refuse) throw new UnrecoverableError("mail server refuses this address");
        },
      });
      await router.start();
      const tracer = provider.getTracer("test");
      const root = tracer.startSpan("checkout");
      await api.context.with(api.trace.setSpan(api.context.active(), root), () =>
        transport.publish(orders, {
          id: "order-1",
          payload: new TextEncoder().encode("{}"),
          contentType: "application/json",
          correlationId: "conv-1",
        }),
      );
      root.end();
      await waitFor(
        async () => (await raw.readDeadLetters(payments, "notify")).length === 1,
        20_000,
        "the dead letter",
      );
      await waitFor(
        () => byName(exporter.getFinishedSpans(), `process ${payments}`).length === 1,
        5000,
        "the process span",
      );

      const spans = exporter.getFinishedSpans();
      const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
      expect(traceIds).toEqual(new Set([root.spanContext().traceId])); // one trace, end to end

      const [sendOrder] = byName(spans, `send ${orders}`);
      expect(parentOf(sendOrder!)).toBe(root.spanContext().spanId);
      expect(sendOrder!.kind).toBe(api.SpanKind.PRODUCER);
      expect(sendOrder!.attributes).toMatchObject({
        "messaging.system": broker.name === "amqp" ? "rabbitmq" : broker.name,
        "messaging.destination.name": orders,
        "messaging.operation.type": "send",
        "messaging.message.id": "order-1",
        "messaging.message.conversation_id": "conv-1",
      });

      // Both attempts (the failed one and the retry) are children of the one publish: the retried copy kept the headers.
      const processOrder = byName(spans, `process ${orders}`).sort(
        (a, b) => Number(a.attributes["mqa.attempt"]) - Number(b.attributes["mqa.attempt"]),
      );
      expect(processOrder.map((s) => s.attributes["mqa.attempt"])).toEqual([1, 2]);
      for (const s of processOrder) {
        expect(parentOf(s)).toBe(sendOrder!.spanContext().spanId);
        expect(s.kind).toBe(api.SpanKind.CONSUMER);
        expect(s.attributes).toMatchObject({
          "messaging.operation.type": "process",
          "messaging.consumer.group.name": "pay",
          "messaging.message.id": "order-1",
          "messaging.message.conversation_id": "conv-1",
        });
      }
      expect(processOrder[0]!.attributes["mqa.settlement"]).toBe("retry");
      expect(processOrder[0]!.status.code).toBe(api.SpanStatusCode.ERROR);
      expect(processOrder[1]!.attributes["mqa.settlement"]).toBe("ack");

      // The follow-up publish inside the handler is a child of the second attempt's process span.
      const [sendPayment] = byName(spans, `send ${payments}`);
      expect(parentOf(sendPayment!)).toBe(processOrder[1]!.spanContext().spanId);
      expect(sendPayment!.attributes["messaging.message.conversation_id"]).toBe("conv-1");
      const [processPayment] = byName(spans, `process ${payments}`);
      expect(parentOf(processPayment!)).toBe(sendPayment!.spanContext().spanId);
      expect(processPayment!.attributes["mqa.settlement"]).toBe("dead-letter");
      expect(processPayment!.attributes["mqa.dead_letter.reason"]).toBe("unrecoverable");

      // The dead letter still carries the context of the publish that produced it.
      const [letter] = await raw.readDeadLetters(payments, "notify");
      const carried = parseTraceParent(letter!.headers["traceparent"]);
      expect(carried).toMatchObject({
        traceId: root.spanContext().traceId,
        spanId: sendPayment!.spanContext().spanId,
      });

      // Redriven (the copy keeps user headers), it is processed again in the same trace, under the same publish.
      refuse = false;
      const summary = await redriveDeadLetters(raw as Transport & DeadLetterQueues, {
        topic: payments,
        group: "notify",
      });
      expect(summary.redriven).toBe(1);
      await waitFor(
        () => byName(exporter.getFinishedSpans(), `process ${payments}`).length === 2,
        20_000,
        "the redriven copy processed",
      );
      await router.stop({ timeoutMs: 2000 });
      const again = byName(exporter.getFinishedSpans(), `process ${payments}`).find(
        (s) => s.spanContext().spanId !== processPayment!.spanContext().spanId,
      )!;
      expect(again.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(parentOf(again)).toBe(sendPayment!.spanContext().spanId);
      expect(again.attributes["mqa.settlement"]).toBe("ack");
      expect(notified).toBe(2);
    },
  );
});

describe("withTracing", () => {
  it("is the transport itself when asked twice, and forwards everything else", async () => {
    const raw = await memoryTransport();
    const once = await withTracing(raw, { tracerProvider: provider });
    const twice = await withTracing(once, { tracerProvider: provider });
    expect(twice).toBe(once);
    expect(once.name).toBe("memory");
    expect(once.features).toBe(raw.features);
    await once.close();
  });

  it("continues the trace a stored message carries when no span is active (outbox relay, redrive)", async () => {
    const raw = await memoryTransport();
    const transport = await withTracing(raw, { tracerProvider: provider });
    const topic = topicName("stored");
    await transport.declare({ topic, group: "g" });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await transport.publish(topic, { payload: new Uint8Array([1]), headers: { traceparent } });
    const [send] = exporter.getFinishedSpans();
    expect(send!.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(parentOf(send!)).toBe("b7ad6b7169203331");
    await transport.close();
  });
});
