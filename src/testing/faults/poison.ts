/**
 * A poison message that kills every consumer that takes it: the delivery limit dead-letters it with the
 * transport's reason, while the other messages keep flowing.
 */
import { expect, it } from "vitest";
import type { DeadLetter } from "../../core/transport.js";
import { type FaultContext, waitFor } from "./context.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describePoison(ctx: FaultContext): void {
  it("a poison message crash-looping its consumers is dead-lettered with the reason; the good ones all arrive", async () => {
    const topic = ctx.unique("poison");
    const deliveryLimit = 2;
    const pub = await ctx.direct({ deliveryLimit });
    await pub.declare({ topic, group: "g" });
    await pub.publish(topic, { id: "poison", payload: bytes("boom") });
    const n = 30;
    for (let i = 0; i < n; i++) await pub.publish(topic, { id: `ok${i}`, payload: bytes(String(i)) });
    const good = new Set<string>();
    let letters: DeadLetter[] = [];
    const dead = async (): Promise<boolean> =>
      (letters = await pub.readDeadLetters(topic, "g")).some((l) => l.message.id === "poison");
    let rounds = 0;
    // Each consumer takes the poison, hangs on it and dies; the broker counts those deliveries.
    while (!(await dead()) && rounds < deliveryLimit + 4) {
      rounds++;
      const c = await ctx.direct({ deliveryLimit });
      let holding = false;
      await c.subscribe(
        topic,
        "g",
        async (d) => {
          if (d.message.id === "poison") {
            holding = true;
            await new Promise(() => undefined);
          }
          good.add(d.message.id);
          await d.ack();
        },
        { prefetch: 5 },
      );
      await waitFor(
        async () => holding || (await dead()),
        ctx.patience,
        `round ${rounds}: the poison or its dead letter`,
      );
      await c.abort();
    }
    const last = await ctx.direct({ deliveryLimit });
    let poisonHandled = 0;
    await last.subscribe(topic, "g", async (d) => {
      if (d.message.id === "poison") poisonHandled++;
      else good.add(d.message.id);
      await d.ack();
    });
    await waitFor(() => good.size === n, ctx.patience, `all ${n} good messages`);
    await waitFor(dead, ctx.patience, "the dead letter");
    expect(poisonHandled).toBe(0);
    const poison = letters.filter((l) => l.message.id === "poison");
    expect(poison).toHaveLength(1);
    expect(poison[0]?.reason).toBe(ctx.target.deliveryLimitReason);
    // A crashed consumer also returns the good messages it had in hand (their acks died with it), and those
    // deliveries count too: such a message may reach the limit as well, but only one that was handled.
    const collateral = letters.filter((l) => l.message.id !== "poison").map((l) => l.message.id);
    for (const id of collateral) expect(good.has(id), `dead letter ${id} was never handled`).toBe(true);
    console.log(
      `[${ctx.target.name}] poison: dead-lettered after ${rounds} crashed consumers; ` +
        `handled messages also dead-lettered by the limit: ${collateral.length}`,
    );
  }, 180_000);
}
