import { describe, expect, it } from "vitest";
import { Router } from "../core/router.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";
import { idempotency, MemoryIdempotencyStore } from "./idempotency.js";

describe("idempotency middleware", () => {
  it("runs the handler once per message id and acks duplicates", async () => {
    const t = await memoryTransport();
    const topic = topicName("dedup");
    const handled: string[] = [];
    const dupes: string[] = [];
    const router = new Router(t, { middleware: [idempotency({ onDuplicate: (id) => dupes.push(id) })] });
    router.handle({
      topic,
      group: "g",
      prefetch: 1,
      handler: async (_p, ctx) => void handled.push(ctx.message.id),
    });
    await router.start();
    for (const id of ["a", "b", "a", "c", "b"]) await t.publish(topic, { ...asJson, id, payload: json({}) });
    await waitFor(() => handled.length + dupes.length === 5, 5000, "five deliveries");
    expect(handled).toEqual(["a", "b", "c"]);
    expect(dupes).toEqual(["a", "b"]);
    await router.stop();
  });

  it("memory store expires entries and bounds its size", async () => {
    const store = new MemoryIdempotencyStore(2);
    await store.add("x", 1000);
    await store.add("y", -1);
    expect(await store.has("x")).toBe(true);
    expect(await store.has("y")).toBe(false);
    await store.add("z", 1000);
    await store.add("w", 1000);
    expect(await store.has("x")).toBe(false);
  });
});
