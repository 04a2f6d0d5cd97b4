import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import type { Message } from "../core/message.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { correlation, currentCorrelation } from "./correlation.js";

describe("correlation middleware", () => {
  it("propagates correlation and causation ids to follow-up messages", async () => {
    const t = await memoryTransport();
    const a = topicName("corr-a");
    const b = topicName("corr-b");
    const seen: Message[] = [];
    const inside: Array<string | undefined> = [];
    const router = new Router(t, { middleware: [correlation()] });
    router.handle({
      topic: a,
      group: "g",
      handler: async (_p, ctx) => {
        inside.push(currentCorrelation()?.correlationId);
        await ctx.publish(b, { step: 2 });
      },
    });
    router.handle({
      topic: b,
      group: "g",
      handler: async (_p, ctx) => {
        seen.push(ctx.message);
      },
    });
    await router.start();
    await t.publish(a, { ...asJson, id: "first", correlationId: "conv-42", payload: json({ step: 1 }) });
    await waitFor(() => seen.length === 1, 5000, "the follow-up");
    expect(seen[0]?.correlationId).toBe("conv-42");
    expect(seen[0]?.causationId).toBe("first");
    expect(inside).toEqual(["conv-42"]);
    expect(currentCorrelation()).toBeUndefined();
    await router.stop();
  });
});
