import { describe, expect, it } from "vitest";
import { HostMask } from "./hide-hosts.js";
import { Monitor, type Sampler } from "./monitor.js";
import type { Snapshot } from "./snapshot.js";

const TARGET = "http://ops:****@mq-prod-1.corp.example:15672/";

/** A cluster as the management API of an internal deployment reports it. */
function snapshot(): Snapshot {
  return {
    at: "2026-12-03T10:00:00.000Z",
    target: TARGET,
    gaps: ["bindings not readable on mq-prod-1.corp.example (HTTP 500)"],
    queues: [
      {
        broker: "rabbitmq",
        scope: "/",
        name: "mq-prod-1.corp.example.audit", // a queue that shares words with a host keeps its name
        role: "dead-letter",
        backlog: 2,
        inFlight: 0,
        consumers: 0,
        publishRate: undefined,
        ackRate: undefined,
        deadLetters: {
          commands: {
            stats: "mqa dlq stats --broker amqp://ops@mq-prod-1.corp.example:5672 --topic t --group g",
            redrive: "mqa dlq redrive --broker amqp://ops@mq-prod-1.corp.example:5672 --topic t --group g",
          },
        },
      },
    ],
    health: {
      broker: "rabbitmq",
      nodes: [
        {
          name: "rabbit@mq-prod-1.corp.example",
          running: true,
          memoryAlarm: false,
          diskAlarm: false,
          partitions: [],
        },
        {
          name: "rabbit@mq-prod-2",
          running: true,
          memoryAlarm: false,
          diskAlarm: false,
          partitions: ["rabbit@mq-prod-3"],
        },
        { name: "rabbit@mq-prod-3", running: false, memoryAlarm: false, diskAlarm: false, partitions: [] },
      ],
    },
  };
}

describe("HostMask", () => {
  it("replaces the broker's and the nodes' host names where they stand as hosts, and nowhere else", () => {
    const mask = new HostMask(false, TARGET);
    const s = mask.snapshot(snapshot());
    expect(s.target).toBe("http://ops:****@broker-host:15672/");
    expect(s.health?.nodes.map((n) => n.name)).toEqual([
      "rabbit@broker-host",
      "rabbit@node-1",
      "rabbit@node-2",
    ]);
    expect(s.health?.nodes[1]?.partitions).toEqual(["rabbit@node-2"]);
    expect(s.queues[0]?.name).toBe("mq-prod-1.corp.example.audit");
    expect(s.queues[0]?.deadLetters?.commands.stats).toBe(
      "mqa dlq stats --broker amqp://ops@broker-host:5672 --topic t --group g",
    );
    // A gap names the host without `@` or `//` in front: it is not a URL and stays as written.
    expect(JSON.stringify(s)).not.toMatch(/@mq-prod|\/\/mq-prod/);
  });

  it("shows everything when asked, and never hides loopback", () => {
    expect(new HostMask(true, TARGET).snapshot(snapshot())).toEqual(snapshot());
    const local = new HostMask(false, "http://guest:****@127.0.0.1:15672/");
    const s = snapshot();
    s.target = "http://guest:****@127.0.0.1:15672/";
    s.health = { broker: "rabbitmq", nodes: [{ ...s.health!.nodes[0]!, name: "rabbit@localhost" }] };
    s.queues = [];
    s.gaps = [];
    expect(local.snapshot(s)).toEqual(s);
  });
});

describe("Monitor with hidden hosts", () => {
  const sampler: Sampler = {
    target: "http://ops:secret@mq-prod-1.corp.example:15672/",
    sample: async () => snapshot(),
  };

  it("serves aliases on the page, in /snapshot.json and /metrics, and keeps the real names for the terminal", async () => {
    const monitor = new Monitor(sampler, { intervalMs: 1000 });
    await monitor.sampleOnce();
    expect(monitor.state.snapshot?.health?.nodes[2]?.name).toBe("rabbit@mq-prod-3");
    expect(monitor.servedState.snapshot?.health?.nodes[2]?.name).toBe("rabbit@node-2");
    const down = monitor.servedState.alerts.find((a) => a.kind === "node-down");
    expect(down?.resource).toBe("rabbit@node-2");
    expect(monitor.servedTarget).not.toContain("mq-prod");
    const metrics = await monitor.metrics.text();
    expect(metrics).toContain('node="rabbit@node-1"');
    // Only the queue's own name (user data) still holds those words.
    expect(metrics).not.toMatch(/[@/]mq-prod|mq-prod-[23]/);
    const page = JSON.stringify([monitor.console.state(), monitor.console.history()]);
    expect(page).not.toContain("mq-prod-2");
    expect(page).not.toContain("mq-prod-3");
    expect(page).not.toMatch(/[@/]mq-prod-1/);
  });

  it("with showHosts, serves the names as they are", async () => {
    const monitor = new Monitor(sampler, { intervalMs: 1000, showHosts: true });
    await monitor.sampleOnce();
    expect(monitor.console.state().health?.nodes.map((n) => n.name)).toContain("rabbit@mq-prod-3");
    expect(await monitor.metrics.text()).toContain('node="rabbit@mq-prod-2"');
  });
});
