import { describe, expect, it } from "vitest";
import { Router } from "./router.js";
import { shutdownOnSignals } from "./shutdown.js";
import { waitFor } from "../testing/mod.js";
import { asJson, json, memoryTransport, topicName } from "../../test/support/memory.js";

describe("shutdownOnSignals", () => {
  it("on SIGTERM finishes in-flight work, closes router then transport, and exits 0", async () => {
    const t = await memoryTransport();
    const topic = topicName("shutdown");
    let finished = 0;
    let started = 0;
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      handler: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 100));
        finished++;
      },
    });
    await router.start();
    await t.publish(topic, { ...asJson, payload: json({}) });
    await waitFor(() => started === 1, 2000, "handler start");
    const codes: number[] = [];
    const remove = shutdownOnSignals([router, t], { signals: ["SIGUSR2"], exit: (c) => codes.push(c) });
    process.emit("SIGUSR2", "SIGUSR2");
    await waitFor(() => codes.length === 1, 5000, "exit");
    remove();
    expect(codes).toEqual([0]);
    expect(finished).toBe(1);
    expect(t.state.status).toBe("closed");
  });
});
