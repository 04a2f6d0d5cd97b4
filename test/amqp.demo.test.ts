import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { RabbitManagementApi } from "../src/brokers/management-api.js";
import { removeDemoTopics } from "../src/demo/cleanup.js";
import { waitFor } from "../src/brokers/local/wait.js";
import { mqa } from "./support/cli.js";
import { RABBIT_MANAGEMENT_URL, uniqueName } from "./support/topology.js";
import { createTransport } from "../src/connect.js";
import { runDemo } from "../src/demo/pipeline.js";
import { AmqpTransport, createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL } from "./support/amqp.js";

describe("mqa demo on RabbitMQ", () => {
  it("createTransport maps amqp:// and amqps:// to the RabbitMQ transport", async () => {
    const t = await createTransport(AMQP_URL);
    expect(t).toBeInstanceOf(AmqpTransport);
    expect(await createTransport("amqps://guest:guest@127.0.0.1:5671")).toBeInstanceOf(AmqpTransport);
    await t.close();
  });

  it("runs the order pipeline with nothing lost and the poison orders in the DLQ with reasons", async () => {
    // A namespace of its own, removed afterwards: nothing left on the shared broker, nothing read from other runs.
    const namespace = uniqueName("mqa-demo-lib").replace(/[^a-z0-9-]/gi, "-");
    const transport = createAmqpTransport({ url: AMQP_URL });
    try {
      const report = await runDemo({
        transport,
        brokerLabel: "amqp",
        orders: 30,
        timeoutMs: 30_000,
        namespace,
      });
      expect(report.lost).toBe(0);
      expect(report.duplicates).toBe(0);
      expect(report.deadLettered).toBeGreaterThan(0);
      const dead = await transport.readDeadLetters(`${namespace}.orders`, "payments", 10_000);
      expect(dead.length).toBe(report.deadLettered);
      for (const d of dead) expect(d.headers["x-mqa-demo-run"]).toBe(report.runId);
      for (const d of dead) expect(["max-attempts", "invalid-payload", "unrecoverable"]).toContain(d.reason);
      for (const d of dead) expect(d.headers["x-mqa-original-group"]).toBe("payments");
    } finally {
      await transport.close({ timeoutMs: 2000 });
      await removeDemoTopics(AMQP_URL, namespace);
    }
  });

  describe("mqa demo (built bin) on a shared broker", () => {
    const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);
    const queuesOf = async (ns: string): Promise<string[]> => {
      const found: string[] = [];
      for (const q of [`${ns}.orders.payments`, `${ns}.orders.payments.dlq`, `${ns}.payments.notifications`])
        if ((await api.queueState("/", q)) !== undefined) found.push(q);
      return found;
    };

    it("removes the run's queues when it ends, and keeps them with --keep", async () => {
      const ns = uniqueName("mqa-demo-test").replace(/[^a-z0-9-]/gi, "-");
      const r = await mqa("demo", "--broker", AMQP_URL, "--orders", "20", "--namespace", ns, "--json");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ lost: 0, published: 20 });
      expect(await queuesOf(ns)).toEqual([]);

      const kept = await mqa("demo", "--broker", AMQP_URL, "--orders", "20", "--namespace", ns, "--keep");
      try {
        expect(kept.code, kept.stderr).toBe(0);
        expect(await queuesOf(ns)).toHaveLength(3);
      } finally {
        await removeDemoTopics(AMQP_URL, ns);
      }
      expect(await queuesOf(ns)).toEqual([]);
    });

    it("removes them on Ctrl-C too", async () => {
      const ns = uniqueName("mqa-demo-int").replace(/[^a-z0-9-]/gi, "-");
      const bin = new URL("../bin/mqa.js", import.meta.url).pathname;
      const child = spawn(
        process.execPath,
        [bin, "demo", "--broker", AMQP_URL, "--orders", "1000000", "--namespace", ns, "--json"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = once(child, "exit");
      try {
        // Interrupt once the run has declared its queues (and is publishing).
        await waitFor(async () => (await queuesOf(ns)).length === 3, 30_000, "the demo's queues", 200);
        child.kill("SIGINT");
        const [code] = (await exited) as [number | null];
        expect(code, stderr).toBe(130);
        expect(stderr).toContain(`interrupted: removed ${ns}.orders and ${ns}.payments`);
        expect(await queuesOf(ns)).toEqual([]);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
        await removeDemoTopics(AMQP_URL, ns);
      }
    });
  });
});
