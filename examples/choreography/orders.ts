/**
 * The orders service: takes the PlaceOrder command, records the order and announces it (OrderPlaced); later
 * it hears how the order ended without anyone telling it to: a PaymentDeclined makes it cancel the order
 * (OrderCancelled), an OrderShipped marks it shipped. It knows no other service, only events.
 */
import type { Router } from "../../src/core/router.js";
import { onCommand, onEvent } from "../../src/cqrs/mod.js";
import type { Shop } from "./messages.js";

/** An order as the orders service keeps it. */
export interface OrderRecord {
  orderId: string;
  status: "placed" | "shipped" | "cancelled";
  /** The parcel (shipped) or why it was cancelled. */
  detail?: string;
}

/**
 * Register the orders service's handlers on `router`; its orders are kept in `orders`, and `onFinished` is
 * called when one is shipped or cancelled.
 */
export function ordersService(
  router: Router,
  shop: Shop,
  orders: Map<string, OrderRecord>,
  onFinished: (order: OrderRecord) => void = () => undefined,
): void {
  onCommand(router, shop, "PlaceOrder", async (order, ctx) => {
    // A redelivered command finds the order recorded and announces it again: subscribers deduplicate by id.
    if (!orders.has(order.orderId)) orders.set(order.orderId, { orderId: order.orderId, status: "placed" });
    await ctx.publish(
      "OrderPlaced",
      { orderId: order.orderId, customer: order.customer, amount: order.amount },
      { id: `${order.orderId}/placed` },
    );
  });

  onEvent(router, shop, "PaymentDeclined", "orders", async (declined, ctx) => {
    const order: OrderRecord = { orderId: declined.orderId, status: "cancelled", detail: declined.reason };
    await ctx.publish(
      "OrderCancelled",
      { orderId: declined.orderId, reason: declined.reason },
      { id: `${declined.orderId}/cancelled` },
    );
    orders.set(order.orderId, order);
    onFinished(order);
  });

  onEvent(router, shop, "OrderShipped", "orders", (shipped) => {
    const order: OrderRecord = { orderId: shipped.orderId, status: "shipped", detail: shipped.parcelId };
    orders.set(order.orderId, order);
    onFinished(order);
  });
}
