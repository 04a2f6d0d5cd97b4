/**
 * The shipping service: ships every order whose payment was captured (OrderShipped, with the parcel id).
 * It never hears about declined orders: nothing is shipped that was not paid.
 */
import type { Router } from "../../src/core/router.js";
import { onEvent } from "../../src/cqrs/mod.js";
import type { Shop } from "./messages.js";

/** Register the shipping service's handler on `router`. */
export function shippingService(router: Router, shop: Shop): void {
  onEvent(router, shop, "PaymentCaptured", "shipping", async (payment, ctx) => {
    await ctx.publish(
      "OrderShipped",
      { orderId: payment.orderId, parcelId: `parcel-${payment.orderId}` },
      { id: `${payment.orderId}/shipped` },
    );
  });
}
