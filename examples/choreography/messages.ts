/**
 * The shop's messages: one command (a customer places an order) and the events the three services tell each
 * other. Amounts are decimal strings (`12.50`), computed in integer cents, never floats. The prefix makes the
 * topic names (`<prefix>.commands.PlaceOrder`, `<prefix>.events.OrderPlaced`); tests give each run its own.
 */
import { z } from "zod";
import { defineMessages } from "../../src/cqrs/mod.js";

const amount = z.string().regex(/^\d{1,9}\.\d{2}$/, "must be a decimal amount such as 12.50");
const orderId = z.string().min(1).max(100);

/** The catalog of the shop, with its topics under `prefix`. */
export function shopMessages(prefix: string) {
  return defineMessages({
    prefix,
    commands: {
      PlaceOrder: z.object({ orderId, customer: z.string().min(1), amount }),
    },
    events: {
      OrderPlaced: z.object({ orderId, customer: z.string(), amount }),
      PaymentCaptured: z.object({ orderId, paymentId: z.string(), amount }),
      PaymentDeclined: z.object({ orderId, reason: z.string() }),
      OrderShipped: z.object({ orderId, parcelId: z.string() }),
      OrderCancelled: z.object({ orderId, reason: z.string() }),
    },
  });
}

/** The shop's catalog type. */
export type Shop = ReturnType<typeof shopMessages>;

/** Integer cents of a decimal amount (`12.50` → 1250). */
export function cents(amount: string): number {
  const [units, hundredths] = amount.split(".") as [string, string];
  return Number(units) * 100 + Number(hundredths);
}
