import { describe, expect, it } from "vitest";
import { FAULT_KINDS } from "./fault-plan.js";
import { applicableFaults } from "./faults.js";

const reasons = (skipped: ReturnType<typeof applicableFaults>["skipped"]): Record<string, string> =>
  Object.fromEntries(skipped.map((s) => [s.kind, s.reason]));

describe("applicableFaults", () => {
  it("on a private Redis Cluster: kill-primary and move-slot strike, kill-leader and single-broker faults are skipped", () => {
    const { active, skipped } = applicableFaults(FAULT_KINDS, "redis://127.0.0.1:7000", true, "redis");
    expect(active).toEqual(["consumer-kill", "poison", "kill-primary", "move-slot"]);
    expect(reasons(skipped)).toEqual({
      "connection-cut":
        "not on a cluster run: clients connect to every node directly, and kill-primary takes a node down",
      "broker-restart":
        "not on a cluster run: clients connect to every node directly, and kill-primary takes a node down",
      "kill-leader":
        "a RabbitMQ quorum-queue fault; on a Redis Cluster, kill-primary kills the primary of the topic's slot",
    });
  });

  it("on a RabbitMQ cluster: the Redis Cluster faults are skipped with a reason", () => {
    const { active, skipped } = applicableFaults(FAULT_KINDS, "amqp://127.0.0.1:5672", true, "rabbitmq");
    expect(active).toEqual(["consumer-kill", "poison", "kill-leader"]);
    expect(reasons(skipped)["kill-primary"]).toBe(
      "a Redis Cluster fault; on a RabbitMQ cluster, kill-leader kills the node of the queue's leader",
    );
    expect(reasons(skipped)["move-slot"]).toBe(reasons(skipped)["kill-primary"]);
  });

  it("without a cluster: every cluster fault says how to get one", () => {
    const { skipped } = applicableFaults(
      ["kill-leader", "kill-primary", "move-slot"],
      "redis://x:6379",
      false,
    );
    expect(reasons(skipped)).toEqual({
      "kill-leader": "needs a private cluster to kill a node of; run with --cluster 3 (amqp://)",
      "kill-primary": "needs a private Redis Cluster; run with --cluster 3 (redis://)",
      "move-slot": "needs a private Redis Cluster; run with --cluster 3 (redis://)",
    });
  });
});
