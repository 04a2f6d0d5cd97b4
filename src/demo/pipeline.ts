/**
 * The demo: an order pipeline, orders → payment → notification, on any transport. Some orders fail
 * transiently (retried with backoff), some are poison (dead-lettered with their reason), one is
 * malformed (dead-lettered as invalid-payload). At the end every order is accounted for.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Logger } from "pino";
import { pino } from "pino";
import { Router } from "../core/router.js";
import { jsonCodec } from "../core/codec.js";
import { Headers } from "../core/message.js";
import type { DeadLetter, Transport } from "../core/transport.js";
import { correlation } from "../middleware/correlation.js";
import { deadLetter } from "../middleware/dead-letter.js";
import { idempotency } from "../middleware/idempotency.js";
import { retry } from "../middleware/retry.js";
import { amountPattern, formatAmount, parseAmount } from "./money.js";

export const ORDERS_TOPIC = "mqa.demo.orders";
export const PAYMENTS_TOPIC = "mqa.demo.payments";
/** Default namespace of the demo's topics: `<namespace>.orders` and `<namespace>.payments`. */
export const DEMO_NAMESPACE = "mqa.demo";

/** The demo's topics and their groups in `namespace`: what a run declares, and what cleanup removes. */
export function demoTopics(namespace = DEMO_NAMESPACE): { topic: string; groups: string[] }[] {
  return [
    { topic: `${namespace}.orders`, groups: ["payments"] },
    { topic: `${namespace}.payments`, groups: ["notifications"] },
  ];
}
const RUN_HEADER = "x-mqa-demo-run";

const orderSchema = z.strictObject({
  orderId: z.string(),
  customer: z.string(),
  currency: z.literal("EUR"),
  items: z
    .array(
      z.strictObject({
        sku: z.string(),
        qty: z.number().int().positive(),
        unitPrice: z.string().regex(amountPattern),
      }),
    )
    .min(1),
});
type Order = z.infer<typeof orderSchema>;

const paymentSchema = z.strictObject({
  orderId: z.string(),
  total: z.string().regex(amountPattern),
  currency: z.string(),
});

export interface DemoProgress {
  published: number;
  processed: number;
  retried: number;
  deadLettered: number;
  total: number;
}

export interface DemoReport extends DemoProgress {
  broker: string;
  runId: string;
  duplicates: number;
  lost: number;
  /** Sum of all paid orders, computed in cents. */
  revenue: string;
  deadLetters: Array<{
    orderId: string | undefined;
    reason: string;
    error: string | undefined;
    attempts: number;
  }>;
  durationMs: number;
}

export interface DemoOptions {
  transport: Transport;
  brokerLabel: string;
  orders: number;
  /** Give up waiting for stragglers after this long. @defaultValue 60000 */
  timeoutMs?: number;
  onProgress?: (p: DemoProgress) => void;
  logger?: Logger;
  /** Topics are `<namespace>.orders` and `<namespace>.payments`. @defaultValue "mqa.demo" */
  namespace?: string;
}

/** What happens to order number `i` (1-based). */
export function fateOf(i: number): "ok" | "transient" | "poison" | "malformed" {
  if (i % 25 === 0) return "poison";
  if (i === 13) return "malformed";
  if (i % 7 === 0) return "transient";
  return "ok";
}

/** The id of order number `i` (1-based) of run `runId`: its message id on the orders topic. */
export function demoOrderId(runId: string, i: number): string {
  return `${runId}-${String(i).padStart(5, "0")}`;
}

function orderFor(i: number, runId: string): Order {
  const prices = ["19.99", "5.00", "0.10", "0.20", "120.45", "3.33"];
  return {
    orderId: demoOrderId(runId, i),
    customer: `customer-${(i * 7919) % 97}`,
    currency: "EUR",
    items: [
      { sku: `SKU-${i % 11}`, qty: 1 + (i % 3), unitPrice: prices[i % prices.length] as string },
      { sku: "SHIPPING", qty: 1, unitPrice: "0.10" },
    ],
  };
}

/** Run the pipeline and reconcile every order. */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const { transport, orders } = options;
  const [ordersTopic, paymentsTopic] = demoTopics(options.namespace).map((t) => t.topic) as [string, string];
  const runId = randomUUID().slice(0, 8);
  const started = Date.now();
  const logger = options.logger ?? pino({ level: "silent" });
  const processed = new Set<string>();
  let retried = 0;
  let duplicates = 0;
  let revenue = 0n;
  const ofThisRun = (headers: Readonly<Record<string, string>>): boolean => headers[RUN_HEADER] === runId;

  // Dead letters of this run as the handlers settle them: the wait below needs no broker round trip (reading a
  // RabbitMQ DLQ re-publishes every message in it), and the report's figures are read from the broker once.
  let deadLettered = 0;
  const router = new Router(transport, {
    logger,
    middleware: [
      (next) => async (ctx) => {
        try {
          await next(ctx);
        } finally {
          if (ctx.settledAs === "dead-letter" && ofThisRun(ctx.message.headers)) deadLettered++;
        }
      },
      correlation(),
      deadLetter(),
      retry({ attempts: 4, baseMs: 100, multiplier: 2, maxMs: 1000 }),
    ],
  });
  router.handle({
    topic: ordersTopic,
    group: "payments",
    schema: orderSchema,
    prefetch: 20,
    handler: async (order, ctx) => {
      if (!ofThisRun(ctx.message.headers)) return; // a leftover of an earlier run: acked, not counted
      if (ctx.message.attempt > 1) retried++;
      const i = Number(order.orderId.slice(-5));
      const fate = fateOf(i);
      if (fate === "poison") throw new Error(`card processor declined order ${order.orderId} (poison order)`);
      if (fate === "transient" && ctx.message.attempt < 3) {
        throw new Error(`payment gateway timed out (attempt ${ctx.message.attempt})`);
      }
      const total = order.items.reduce((sum, it) => sum + parseAmount(it.unitPrice) * BigInt(it.qty), 0n);
      await ctx.publish(
        paymentsTopic,
        { orderId: order.orderId, total: formatAmount(total), currency: order.currency },
        { id: `pay-${order.orderId}`, headers: { [RUN_HEADER]: runId } },
      );
    },
  });
  router.handle({
    topic: paymentsTopic,
    group: "notifications",
    schema: paymentSchema,
    prefetch: 20,
    middleware: [idempotency({ onDuplicate: () => duplicates++ })],
    handler: async (payment, ctx) => {
      if (!ofThisRun(ctx.message.headers)) return;
      if (processed.has(payment.orderId)) duplicates++;
      else {
        processed.add(payment.orderId);
        revenue += parseAmount(payment.total);
      }
    },
  });
  await router.start();

  let published = 0;
  const deadLettersOfRun = async (topic: string, group: string): Promise<DeadLetter[]> =>
    (await transport.readDeadLetters(topic, group, 10_000)).filter((d) => ofThisRun(d.headers));
  const progress = (): DemoProgress => ({
    published,
    processed: processed.size,
    retried,
    deadLettered,
    total: orders,
  });

  const window = 50;
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 1; i <= orders; i++) {
    const order = orderFor(i, runId);
    const payload =
      fateOf(i) === "malformed"
        ? jsonCodec.encode({ ...order, items: [{ sku: "SKU-X", qty: 1, unitPrice: "12,50" }] })
        : jsonCodec.encode(order);
    const p = transport
      .publish(ordersTopic, {
        id: order.orderId,
        key: order.customer,
        payload,
        contentType: jsonCodec.contentType,
        headers: { [RUN_HEADER]: runId },
      })
      .then(() => {
        published++;
      });
    inFlight.add(p);
    // Removed from the window either way; a rejection surfaces through Promise.race/all, not here.
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    if (inFlight.size >= window) await Promise.race(inFlight);
    if (i % 10 === 0) options.onProgress?.(progress());
  }
  await Promise.all(inFlight);

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    options.onProgress?.(progress());
    if (processed.size + deadLettered >= published) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await router.stop({ timeoutMs: 5000 });
  const letters = await deadLettersOfRun(ordersTopic, "payments");
  deadLettered = letters.length + (await deadLettersOfRun(paymentsTopic, "notifications")).length;
  options.onProgress?.(progress());

  return {
    broker: options.brokerLabel,
    runId,
    ...progress(),
    duplicates,
    lost: Math.max(0, published - processed.size - deadLettered),
    revenue: formatAmount(revenue),
    deadLetters: letters.map((d) => ({
      orderId: d.message.id,
      reason: d.reason,
      error: d.headers[Headers.deadLetterErrorMessage],
      attempts: Number(d.headers[Headers.attempt] ?? "1"),
    })),
    durationMs: Date.now() - started,
  };
}
