import { mkdtemp, rm, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { maskUrl } from "../core/redact.js";
import { applyTopology, planTopology, rollbackTopology } from "./live.js";
import { RabbitManagementApi } from "../brokers/management-api.js";
import { UnsafeChangeError } from "./errors.js";
import { validateSpec } from "../spec/parse.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { RABBIT_MANAGEMENT_URL, cleanupRabbit, uniqueName } from "../../test/support/topology.js";

/** Each test's own vhost, user and rollback-file directory, removed after it. */
let vhost: string;
let user: string;
let dir: string;
const env = { MQA_TOPO_TEST_PW: "s3cret-for-test" };
const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);

function spec(
  overrides: { maxLength?: number; extraQueue?: boolean; policyTtl?: number } = {},
): TopologySpec {
  return validateSpec({
    version: 1,
    rabbitmq: {
      // Few delay levels (delays up to 2 s): the test builds less on the shared broker.
      maxRetryDelay: "1s",
      vhosts: [{ name: vhost }],
      topics: [
        {
          name: "orders",
          vhost,
          groups: [
            { name: "billing", retry: { attempts: 3, backoff: "exponential 1s..5m" } },
            { name: "shipping" },
          ],
        },
      ],
      queues: [
        { name: "reports", vhost, arguments: { "x-max-length": overrides.maxLength ?? 1000 } },
        ...(overrides.extraQueue ? [{ name: "extra", vhost }] : []),
      ],
      policies: [
        {
          vhost,
          name: "ttl",
          pattern: "^reports$",
          definition: { "message-ttl": overrides.policyTtl ?? 60000 },
        },
      ],
      users: [{ name: user, passwordFromEnv: "MQA_TOPO_TEST_PW", tags: ["monitoring"] }],
      permissions: [{ user, vhost, configure: "^$", write: "^orders$", read: "^orders\\..*" }],
    },
  });
}

/** Build the topology of {@link spec} on the broker: what the tests that change it start from. */
async function applyBaseline(): Promise<void> {
  await applyTopology(spec(), RABBIT_MANAGEMENT_URL, { env, rollbackFile: join(dir, "baseline.json") });
  expect((await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);
}

beforeEach(async () => {
  vhost = uniqueName("mqa-topo");
  user = uniqueName("mqa-topo-user");
  dir = await mkdtemp(join(tmpdir(), "mqa-topo-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await cleanupRabbit([vhost], [user]);
});

describe("topology against the real RabbitMQ", () => {
  it("plans creates, applies, and a second apply changes nothing", async () => {
    const plan = await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env });
    expect(plan.target).toBe(maskUrl(RABBIT_MANAGEMENT_URL));
    expect(plan.target).toContain(":****@");
    expect(plan.changes.every((c) => c.action === "create")).toBe(true);
    const names = plan.changes.map((c) => `${c.kind} ${c.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `vhost ${vhost}`,
        `exchange ${vhost}/orders`,
        `exchange ${vhost}/mqa.dlx`,
        `exchange ${vhost}/mqa.delay.deliver`,
        `exchange ${vhost}/mqa.delay.l00`,
        `queue ${vhost}/orders.billing`,
        `queue ${vhost}/orders.billing.dlq`,
        `queue ${vhost}/mqa.delay.l10`,
        `queue ${vhost}/orders.shipping.dlq`,
        `user ${user}`,
        `permission ${vhost}: ${user}`,
        `policy ${vhost}/ttl`,
      ]),
    );

    const first = await applyTopology(spec(), RABBIT_MANAGEMENT_URL, {
      env,
      rollbackFile: join(dir, "first.json"),
    });
    expect(first.applied.length).toBe(plan.changes.length);
    const queue = (await api.definitions()).queues.find(
      (q) => q.vhost === vhost && q.name === "orders.billing",
    );
    expect(queue?.arguments).toMatchObject({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "orders.billing",
    });

    const second = await applyTopology(spec(), RABBIT_MANAGEMENT_URL, {
      env,
      rollbackFile: join(dir, "second.json"),
    });
    expect(second.applied).toEqual([]);
    expect(second.plan.changes).toEqual([]);
    expect(second.rollbackFile).toBeUndefined();
  });

  it("sees drift made behind its back, and a wrong password", async () => {
    await applyBaseline();
    await api.deletePolicy(vhost, "ttl");
    await api.putQueue({ name: "stray", vhost, durable: true, auto_delete: false, arguments: {} });
    const plan = await planTopology(spec(), RABBIT_MANAGEMENT_URL, {
      env: { MQA_TOPO_TEST_PW: "wrong-pw-xyz" },
    });
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`).sort()).toEqual([
      `create policy ${vhost}/ttl`,
      `delete queue ${vhost}/stray`,
      `update user ${user}`,
    ]);
    expect(JSON.stringify(plan)).not.toContain("wrong-pw-xyz");
    // Without prune the stray queue stays; with prune it goes (it is empty).
    await applyTopology(spec(), RABBIT_MANAGEMENT_URL, { env, rollbackFile: join(dir, "drift.json") });
    expect((await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env })).changes.map((c) => c.action)).toEqual(
      ["delete"],
    );
    await applyTopology(spec(), RABBIT_MANAGEMENT_URL, {
      env,
      prune: true,
      rollbackFile: join(dir, "prune.json"),
    });
    expect((await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);
  });

  it("shows a queue argument change as a replace with migration steps, and never applies it", async () => {
    await applyBaseline();
    const plan = await planTopology(spec({ maxLength: 5 }), RABBIT_MANAGEMENT_URL, { env });
    expect(plan.changes).toHaveLength(1);
    const [change] = plan.changes;
    expect(change).toMatchObject({
      action: "replace",
      kind: "queue",
      name: `${vhost}/reports`,
      fields: [{ field: "arguments.x-max-length", from: 1000, to: 5 }],
    });
    expect(change?.migration?.join("\n")).toMatch(/PRECONDITION_FAILED[\s\S]*reports\.v2[\s\S]*max-length/);
    const result = await applyTopology(spec({ maxLength: 5 }), RABBIT_MANAGEMENT_URL, {
      env,
      rollbackFile: join(dir, "replace.json"),
    });
    expect(result.applied).toEqual([]);
    expect(result.skipped.map((c) => c.action)).toEqual(["replace"]);
  });

  it("dry-run changes nothing; rollback restores the state before an apply", async () => {
    await applyBaseline();
    const changed = spec({ extraQueue: true, policyTtl: 5000 });
    const dry = await applyTopology(changed, RABBIT_MANAGEMENT_URL, { env, dryRun: true });
    expect(dry.applied.map((c) => `${c.action} ${c.kind}`).sort()).toEqual(["create queue", "update policy"]);
    expect((await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);

    const file = join(dir, "rollback.json");
    await applyTopology(changed, RABBIT_MANAGEMENT_URL, { env, rollbackFile: file });
    expect((await planTopology(changed, RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);
    const text = await readFile(file, "utf8");
    expect(text).not.toContain("guest:guest");
    await rollbackTopology(file, RABBIT_MANAGEMENT_URL);
    expect((await planTopology(spec(), RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);
  });

  it("rollback checks every step first: a queue that now holds messages stops it before anything changes", async () => {
    await applyBaseline();
    const changed = spec({ extraQueue: true, policyTtl: 5000 });
    const file = join(dir, "blocked.json");
    await applyTopology(changed, RABBIT_MANAGEMENT_URL, { env, rollbackFile: file });
    const steps = (JSON.parse(await readFile(file, "utf8")) as { steps: { op: string }[] }).steps;
    expect(steps.map((x) => x.op).sort()).toEqual(["delete-queue", "put-policy"]);

    // A message lands in the queue the rollback would delete.
    const url = new URL(RABBIT_MANAGEMENT_URL);
    const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
    const res = await fetch(`${url.origin}/api/exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({
        properties: {},
        routing_key: "extra",
        payload: "x",
        payload_encoding: "string",
      }),
    });
    expect(await res.json()).toEqual({ routed: true });
    let messages = 0;
    for (let i = 0; i < 100 && messages === 0; i++) {
      // The management API reports a queue's count with a short delay: poll until it shows the message.
      messages = (await api.queueState(vhost, "extra"))?.messages ?? 0;
      if (messages === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(messages).toBe(1);

    const err = await rollbackTopology(file, RABBIT_MANAGEMENT_URL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeChangeError);
    expect((err as Error).message).toMatch(/deletes queue .*\/extra, which holds 1 messages/);
    expect((err as Error).message).toContain("Nothing was changed");
    // Not even the policy (the other step) was restored.
    expect((await planTopology(changed, RABBIT_MANAGEMENT_URL, { env })).changes).toEqual([]);
  });
});
