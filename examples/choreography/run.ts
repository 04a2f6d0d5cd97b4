/**
 * The choreography, run: the three services and the customer's notifications, each with its own transport
 * and router (as separate processes would have), on one broker. Orders are placed with the command bus; then
 * nothing coordinates them: each service reacts to the events of the others, and the run ends when every
 * order is shipped or cancelled. Each order is one business transaction, its correlation id the order id.
 */
import { randomBytes } from "node:crypto";
import { createTransport } from "../../src/connect.js";
import { Router } from "../../src/core/router.js";
import type { Transport } from "../../src/core/transport.js";
import { CommandBus, onEvent } from "../../src/cqrs/mod.js";
import { defaultMiddleware } from "../../src/middleware/mod.js";
import { shopMessages } from "./messages.js";
import { ordersService, type OrderRecord } from "./orders.js";
import { paymentsService } from "./payments.js";
import { shippingService } from "./shipping.js";
import { shopTopology } from "./topology.js";

/** An order the customer places. */
export interface OrderRequest {
  orderId: string;
  customer: string;
  amount: string;
}

export interface ChoreographyOptions {
  /** `memory://` (the embedded broker), `amqp://…` or `redis://…`. @defaultValue "memory://" */
  broker?: string;
  /** Topic prefix. @defaultValue "shop" */
  prefix?: string;
  /** The orders to place. @defaultValue four orders, the third above the card limit */
  orders?: OrderRequest[];
  /** RabbitMQ: how long the topics' history streams keep messages (for `mqa trace`). @defaultValue "1d" */
  historyMaxAge?: string;
  /** Give up when the orders are not all finished after this long. @defaultValue 30000 */
  timeoutMs?: number;
  /** Called with each line of what happened, as it happens. */
  onLine?: (line: string) => void;
}

/** How the run went. */
export interface ChoreographyReport {
  readonly broker: string;
  readonly topics: string[];
  /** Every order as the orders service recorded it at the end, with its correlation id. */
  readonly orders: Array<OrderRecord & { correlationId: string }>;
}

/** Four orders of one run; the third is above the card limit and is declined. */
export function sampleOrders(run: string): OrderRequest[] {
  return [
    { orderId: `${run}-1`, customer: "ada", amount: "42.50" },
    { orderId: `${run}-2`, customer: "grace", amount: "120.00" },
    { orderId: `${run}-3`, customer: "edsger", amount: "950.00" },
    { orderId: `${run}-4`, customer: "barbara", amount: "7.99" },
  ];
}

/** Run the shop until every order is shipped or cancelled; everything it opened is closed again. */
export async function runChoreography(options: ChoreographyOptions = {}): Promise<ChoreographyReport> {
  const broker = options.broker ?? "memory://";
  const shop = shopMessages(options.prefix ?? "shop");
  const requests = options.orders ?? sampleOrders(randomBytes(3).toString("hex"));
  const say = options.onLine ?? (() => undefined);
  // On RabbitMQ each topic keeps a history stream so the transaction can be traced afterwards.
  const topology = /^amqps?:/i.test(broker) ? shopTopology(shop, options.historyMaxAge ?? "1d") : undefined;
  const transports: Transport[] = [];
  const routers: Router[] = [];
  const open = async (): Promise<{ transport: Transport; router: Router }> => {
    const transport = await createTransport(broker, topology ? { topology } : {});
    transports.push(transport);
    const router = new Router(transport, {
      middleware: defaultMiddleware({ retry: { attempts: 3, baseMs: 100 } }),
    });
    routers.push(router);
    return { transport, router };
  };

  const orders = new Map<string, OrderRecord>();
  // The run is over when the orders service has recorded how each order ended and the customer was told.
  const unfinished = new Set(requests.map((r) => `orders/${r.orderId}`));
  for (const r of requests) unfinished.add(`notified/${r.orderId}`);
  let finish: () => void = () => undefined;
  const allFinished = new Promise<void>((resolve) => (finish = resolve));
  const done = (what: string): void => {
    unfinished.delete(what);
    if (unfinished.size === 0) finish();
  };
  if (unfinished.size === 0) finish();
  try {
    ordersService((await open()).router, shop, orders, (o) => done(`orders/${o.orderId}`));
    paymentsService((await open()).router, shop);
    shippingService((await open()).router, shop);
    // The customer's notifications: how each order ended, as it happens.
    const notifications = (await open()).router;
    onEvent(notifications, shop, "OrderShipped", "report", (e) => {
      say(`order ${e.orderId} shipped in ${e.parcelId}`);
      done(`notified/${e.orderId}`);
    });
    onEvent(notifications, shop, "OrderCancelled", "report", (e) => {
      say(`order ${e.orderId} cancelled: ${e.reason}`);
      done(`notified/${e.orderId}`);
    });
    for (const router of routers) await router.start();

    const client = await createTransport(broker, topology ? { topology } : {});
    transports.push(client);
    const commands = new CommandBus(client, shop);
    for (const order of requests) {
      await commands.send("PlaceOrder", order, { correlationId: order.orderId });
      say(`order ${order.orderId} placed: ${order.amount} by ${order.customer}`);
    }

    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = options.timeoutMs ?? 30_000;
    await Promise.race([
      allFinished,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`orders not finished after ${timeoutMs} ms: ${[...unfinished].join(", ")}`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    for (const router of routers) await router.stop({ timeoutMs: 5_000 });
    for (const transport of transports) await transport.close({ timeoutMs: 5_000 });
  }
  return {
    broker,
    topics: shop.topics().map((t) => t.topic),
    orders: requests.map((r) => ({
      ...(orders.get(r.orderId) ?? { orderId: r.orderId, status: "placed" as const }),
      correlationId: r.orderId,
    })),
  };
}
