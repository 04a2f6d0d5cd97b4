/**
 * The README's "library in one screen", kept compiling by `npm run typecheck` and run by a test.
 * Run it: `npx tsx examples/quickstart.ts` (or after `npm run build`, adapt the imports to "mqa").
 */
import { z } from "zod";
import { Router, createMemoryTransport, defaultMiddleware, UnrecoverableError } from "../src/index.js";

export async function quickstart(): Promise<string[]> {
  const transport = createMemoryTransport({ broker: `quickstart-${process.pid}` });
  const router = new Router(transport, {
    middleware: defaultMiddleware({ retry: { attempts: 5, baseMs: 10 } }),
  });
  const paid: string[] = [];

  router.handle({
    topic: "orders",
    group: "payments",
    schema: z.object({ orderId: z.string(), amount: z.string().regex(/^\d+\.\d{2}$/) }),
    prefetch: 50,
    handler: async (order, ctx) => {
      if (order.amount === "0.00") throw new UnrecoverableError("empty order");
      await ctx.publish("payments", { orderId: order.orderId });
    },
  });
  router.handle({
    topic: "payments",
    group: "notifications",
    schema: z.object({ orderId: z.string() }),
    handler: async (payment) => {
      paid.push(payment.orderId);
    },
  });
  await router.start();

  const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
  await transport.publish("orders", {
    payload: encode({ orderId: "o-1", amount: "9.99" }),
    contentType: "application/json",
  });
  await transport.publish("orders", {
    payload: encode({ orderId: "o-2", amount: "0.00" }),
    contentType: "application/json",
  });

  while (paid.length < 1 || (await transport.readDeadLetters("orders", "payments")).length < 1) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await router.stop({ timeoutMs: 30_000 });
  await transport.close();
  return paid;
}
