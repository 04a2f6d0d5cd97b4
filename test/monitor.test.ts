/**
 * `mqa monitor` against the real brokers: samples of the shared RabbitMQ (management API) and Redis, the
 * alerts they raise, the Prometheus endpoint, the live page's data, the alert rules, and the CLI.
 */
import { Redis } from "ioredis";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { BrokerApiError } from "../src/brokers/errors.js";
import { evaluate } from "../src/monitor/alerts.js";
import { MetricNames } from "../src/monitor/metrics.js";
import { Monitor, createSampler } from "../src/monitor/monitor.js";
import { RabbitSampler } from "../src/monitor/rabbitmq.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { alertRules, alertRulesYaml } from "../src/monitor/rules.js";
import { serveMonitor } from "../src/monitor/server.js";
import type { Snapshot } from "../src/monitor/snapshot.js";
import { waitFor } from "../src/brokers/local/wait.js";
import { maskUrl } from "../src/core/redact.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";
import { mqa } from "./support/cli.js";
import { RABBIT_MANAGEMENT_URL, REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const prefix = uniqueName("mon");
afterAll(() => cleanupRedis(prefix));

/**
 * A stream `<prefix>:<name>:{orders}` with group `g` and `entries` unread entries, plus its DLQ stream with
 * `dead` entries; `match` is the SCAN pattern that sees just these two.
 */
async function redisFixture(
  r: Redis,
  name: string,
  entries: number,
  dead: number,
): Promise<{ stream: string; dlq: string; match: string }> {
  const stream = `${prefix}:${name}:{orders}`;
  const dlq = `${stream}:dlq:g`;
  await r.xgroup("CREATE", stream, "g", "$", "MKSTREAM");
  for (let i = 0; i < entries; i++) await r.xadd(stream, "*", "p", String(i));
  for (let i = 0; i < dead; i++) await r.xadd(dlq, "*", "reason", "poison");
  return { stream, dlq, match: `${prefix}:${name}:*` };
}

async function withRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(REDIS_URL);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

describe("mqa monitor on RabbitMQ (management API)", () => {
  it("sees a backlog nobody consumes and dead letters arriving, and says what to do", async () => {
    const { default: amqp } = await import("amqplib");
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createConfirmChannel();
    const work = uniqueName("mon.work");
    const dlq = `${work}.dlq`;
    try {
      await ch.assertQueue(work, { durable: true });
      await ch.assertQueue(dlq, { durable: true });
      for (let i = 0; i < 3; i++) ch.sendToQueue(work, Buffer.from(String(i)));
      ch.sendToQueue(dlq, Buffer.from("dead"));
      await ch.waitForConfirms();
      const sampler = new RabbitSampler(RABBIT_MANAGEMENT_URL);
      // The management API refreshes queue figures every few seconds: wait for them to show.
      let first: Snapshot | undefined;
      await waitFor(
        async () => {
          try {
            first = await sampler.sample();
          } catch (err) {
            // The management API answers 500 now and then while other tests delete queues: sample again.
            if (err instanceof BrokerApiError && (err.status ?? 0) >= 500) return false;
            throw err;
          }
          const w = first.queues.find((q) => q.name === work);
          const d = first.queues.find((q) => q.name === dlq);
          return w?.backlog === 3 && d?.backlog === 1;
        },
        30_000,
        "the management API to report the messages",
      );
      const w = first!.queues.find((q) => q.name === work)!;
      expect(w).toMatchObject({ broker: "rabbitmq", scope: "/", role: "work", consumers: 0, inFlight: 0 });
      expect(first!.queues.find((q) => q.name === dlq)!.role).toBe("dead-letter");
      expect(
        first!.queues.filter((q) => q.name.startsWith("mqa.delay.")).every((q) => q.role === "delay"),
      ).toBe(true);
      expect(first!.target).not.toContain("guest:guest");

      const alerts = evaluate(first!, undefined);
      expect(alerts.find((a) => a.resource === work)).toMatchObject({
        kind: "backlog-without-consumers",
        severity: "critical",
      });
      expect(alerts.find((a) => a.resource === dlq)?.kind).toBe("dead-letters-present");

      for (let i = 0; i < 2; i++) ch.sendToQueue(dlq, Buffer.from("dead"));
      await ch.waitForConfirms();
      let second: Snapshot | undefined;
      await waitFor(
        async () => {
          second = await sampler.sample();
          return second.queues.find((q) => q.name === dlq)?.backlog === 3;
        },
        30_000,
        "the new dead letters to show",
      );
      const growing = evaluate(second!, first).find((a) => a.resource === dlq);
      expect(growing).toMatchObject({ kind: "dead-letters-growing", severity: "warning" });
      expect(growing!.message).toContain("2 new dead letters");
    } finally {
      await ch.deleteQueue(work);
      await ch.deleteQueue(dlq);
      await conn.close();
    }
  }, 90_000);

  it("prints one JSON report with --once --json, password masked", async () => {
    // mqa's delay levels exist once any group is declared: declare one here rather than count on another
    // test having done it (the levels are shared by every mqa service, so they stay; the group goes).
    const topic = uniqueName("mon.topic");
    const t = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000 });
    await t.declare({ topic, group: "g" });
    await t.close();
    const r = await mqa("monitor", RABBIT_MANAGEMENT_URL, "--once", "--json").finally(() =>
      deleteTopology(AMQP_URL, [{ topic, groups: ["g"] }]),
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { target: string; queues: { resource: string; role: string }[] };
    expect(report.target).toBe(maskUrl(RABBIT_MANAGEMENT_URL));
    expect(report.target).toContain(":****@");
    expect(report.queues.some((q) => q.role === "delay")).toBe(true);
    expect(r.stdout).not.toContain("guest:guest");
  });
});

describe("mqa monitor on Redis", () => {
  it("reports group lag, pending entries, consumers and dead-letter streams, and alerts on them", async () => {
    const r = new Redis(REDIS_URL);
    try {
      const { stream, dlq, match } = await redisFixture(r, "lag", 4, 2);
      const sampler = new RedisSampler(REDIS_URL, { match });
      // One consumer takes one entry and keeps it pending.
      await r.xreadgroup("GROUP", "g", "worker-1", "COUNT", 1, "STREAMS", stream, ">");
      const first = await sampler.sample();
      expect(first.queues).toHaveLength(2);
      const group = first.queues.find((q) => q.scope === stream)!;
      expect(group).toMatchObject({ name: "g", role: "work", backlog: 3, inFlight: 1, consumers: 1 });
      expect(group.oldestPendingMs).toBeGreaterThanOrEqual(0);
      expect(first.queues.find((q) => q.scope === dlq)).toMatchObject({
        name: "-",
        role: "dead-letter",
        backlog: 2,
      });

      // A consumer is attached, so a backlog alone is no alarm; a stuck entry is, past its threshold.
      const alerts = evaluate(first, undefined, { backlogGrowth: 100, stuckPendingMs: 0 });
      expect(alerts.map((a) => a.kind).sort()).toEqual(["dead-letters-present", "stuck-pending"]);

      for (let i = 0; i < 5; i++) await r.xadd(stream, "*", "p", "more");
      await r.xadd(dlq, "*", "reason", "poison");
      const second = await sampler.sample();
      const again = second.queues.find((q) => q.scope === stream)!;
      expect(again.backlog).toBe(8);
      expect(again.publishRate).toBeGreaterThan(0); // entries added between the two samples
      const growth = evaluate(second, first, { backlogGrowth: 5, stuckPendingMs: 300_000 });
      expect(growth.map((a) => a.kind).sort()).toEqual(["backlog-growing", "dead-letters-growing"]);
      await sampler.close();
    } finally {
      r.disconnect();
    }
  });

  it("serves Prometheus metrics, the snapshot and the live page; marks itself down when the broker is gone", async () => {
    const { match } = await withRedis((r) => redisFixture(r, "http", 2, 1));
    const monitor = new Monitor(new RedisSampler(REDIS_URL, { match }), { intervalMs: 60_000 });
    const server = await serveMonitor(monitor, { port: 0 });
    try {
      await monitor.sampleOnce();
      const metrics = await (await fetch(`${server.url}metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(
          `${MetricNames.backlog}\\{broker="redis",scope="${prefix}:http:\\{orders\\}",queue="g",role="work"\\} 2`,
        ),
      );
      expect(metrics).toContain(`${MetricNames.up} 1`);
      expect(metrics).toMatch(/mqa_monitor_alerts\{kind="dead-letters-present",severity="info"\} 1/);

      const snapshot = (await (await fetch(`${server.url}snapshot.json`)).json()) as {
        samples: number;
        snapshot: { queues: { resource: string }[] };
      };
      expect(snapshot.samples).toBe(1);
      expect(snapshot.snapshot.queues.map((q) => q.resource)).toContain(`${prefix}:http:{orders}#g`);

      const page = await (await fetch(server.url)).text();
      expect(page).toContain("<title>mqa monitor</title>");
      const script = /<script type="module" crossorigin src="\.\/([^"]+)"/.exec(page)![1]!;
      const bundle = await fetch(`${server.url}${script}`);
      expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect((await bundle.text()).length).toBeGreaterThan(1000); // the console's bundle (test/monitor-page.test.ts drives it)
      expect((await fetch(`${server.url}nope`)).status).toBe(404);
    } finally {
      await server.close();
      await monitor.stop();
    }

    const gone = new Monitor(createSampler("redis://:s3cret@127.0.0.1:1"), { intervalMs: 60_000 });
    const state = await gone.sampleOnce();
    expect(state.error).toMatch(/cannot connect to Redis/);
    expect(state.error).not.toContain("s3cret");
    expect(await gone.metrics.text()).toContain(`${MetricNames.up} 0`);
    await gone.stop();
  });

  it("--fail-on turns alerts into an exit code for CI", async () => {
    const { match } = await withRedis((r) => redisFixture(r, "ci", 0, 1));
    const failing = await mqa("monitor", REDIS_URL, "--match", match, "--once", "--fail-on", "info");
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/INFO +.*holds \d+ dead letters/);
    const quiet = await mqa(
      "monitor",
      REDIS_URL,
      "--match",
      `${prefix}-nothing*`,
      "--once",
      "--fail-on",
      "info",
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toContain("no alerts");
  });
});

describe("mqa monitor rules and input errors", () => {
  it("writes Prometheus alerting rules over metrics the monitor really exposes", async () => {
    const doc = parse(alertRulesYaml()) as {
      groups: { name: string; rules: { alert: string; expr: string }[] }[];
    };
    expect(doc.groups[0]!.rules.map((r) => r.alert)).toEqual(alertRules().map((r) => r.alert));
    const exposed = new Set(Object.values(MetricNames));
    for (const rule of doc.groups[0]!.rules) {
      const names = rule.expr.match(/mqa_[a-z_]+/g) ?? [];
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const n of names)
        expect(exposed.has(n as (typeof MetricNames)[keyof typeof MetricNames]), n).toBe(true);
    }
    const cli = await mqa("monitor", "--rules");
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain("alert: MqaBacklogWithoutConsumers");
  });

  it("names what is wrong with a target it cannot watch", async () => {
    const r = await mqa("monitor", "ftp://user:hunter2@example.invalid", "--once");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/management URL .* or a Redis URL/);
    expect(r.stderr).not.toContain("hunter2");
    expect((await mqa("monitor", "--once")).stderr).toMatch(/needs a target/);
  });
});
