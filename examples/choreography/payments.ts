/**
 * The payments service: charges every placed order and says how it went. A card is declined above its limit
 * (500.00 here); otherwise the payment is captured. It does not know who listens.
 */
import type { Router } from "../../src/core/router.js";
import { onEvent } from "../../src/cqrs/mod.js";
import { cents, type Shop } from "./messages.js";

/** Orders above this are declined, in cents. */
export const CARD_LIMIT_CENTS = 500_00;

/** Register the payments service's handler on `router`. */
export function paymentsService(router: Router, shop: Shop): void {
  onEvent(router, shop, "OrderPlaced", "payments", async (order, ctx) => {
    if (cents(order.amount) > CARD_LIMIT_CENTS) {
      await ctx.publish(
        "PaymentDeclined",
        { orderId: order.orderId, reason: `card limit exceeded (${order.amount} > 500.00)` },
        { id: `${order.orderId}/declined` },
      );
      return;
    }
    // The payment id is derived from the order, so a charge repeated after a redelivery is the same charge.
    await ctx.publish(
      "PaymentCaptured",
      { orderId: order.orderId, paymentId: `pay-${order.orderId}`, amount: order.amount },
      { id: `${order.orderId}/captured` },
    );
  });
}
