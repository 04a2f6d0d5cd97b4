/** Unroutable: a publish to a topic no group is declared on is rejected or retained, as `features.unroutable` says. */
import { expect } from "vitest";
import { MqaError } from "../../core/errors.js";
import { type SuiteContext, featureCase, json, waitFor } from "./context.js";

export function describeUnroutable(ctx: SuiteContext): void {
  featureCase(
    ctx,
    (f) => f.unroutable === "reject",
    'unroutable "reject": a publish to a topic without groups is rejected with code unroutable',
    async (needs) => {
      const t = await ctx.transport();
      needs(t);
      const topic = ctx.unique("noroute");
      ctx.record(topic, "g"); // whatever the publish may have created
      const err = await t.publish(topic, { id: "lost-1", payload: json("x") }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqaError.is(err, "unroutable"), `expected an unroutable MqaError, got ${String(err)}`).toBe(
        true,
      );
      // Once a group exists, the same topic routes.
      await t.declare({ topic, group: "g" });
      await expect(t.publish(topic, { payload: json("y") })).resolves.toBeDefined();
    },
  );

  featureCase(
    ctx,
    (f) => f.unroutable === "retain",
    'unroutable "retain": a message published before any group exists reaches the first group declared',
    async (needs) => {
      const t = await ctx.transport();
      needs(t);
      const topic = ctx.unique("retain");
      await t.publish(topic, { id: "early-1", payload: json("x") });
      await t.declare({ topic, group: "g" });
      const got: string[] = [];
      await t.subscribe(topic, "g", async (d) => {
        got.push(d.message.id);
        await d.ack();
      });
      await t.publish(topic, { id: "late-1", payload: json("y") });
      await waitFor(() => got.includes("late-1"), ctx.patience, "the message published after the group");
      await waitFor(() => got.includes("early-1"), ctx.patience, "the retained message");
    },
  );
}
