/**
 * Live RabbitMQ audit against the real shared broker: a unique vhost with deliberately bad queues, a
 * consumer using auto-ack and a channel publishing without confirms; the audit must name each of them.
 * The vhost is deleted afterwards.
 */
import { randomBytes } from "node:crypto";
import { connect } from "amqplib";
import type { ChannelModel } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import type { Finding } from "../../src/audit/finding.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import { FORMATS, render } from "../../src/audit/reporters/mod.js";
import { loadRabbitLive } from "../../src/audit/sources/rabbitmq-live.js";
import { restrictToVhost } from "../../src/audit/sources/vhost-filter.js";
import { AMQP_URL } from "../support/amqp.js";
import { waitFor } from "../../src/testing/mod.js";
import { RABBIT_MANAGEMENT_URL } from "../support/topology.js";

const VH = `mqa-audit-${randomBytes(4).toString("hex")}`;
const V = encodeURIComponent(VH);
/** The management API without credentials (they go in AUTH); the shared broker unless the environment says otherwise. */
const API = new URL(RABBIT_MANAGEMENT_URL).origin;
const AUTH = "Basic " + Buffer.from("guest:guest").toString("base64");
let conn: ChannelModel | undefined;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(API + path, {
    method,
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Management stats are emitted every few seconds: wait (bounded, polling gently) until the broker shows what we did. */
const until = (what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> =>
  waitFor(ok, timeoutMs, what, 250);

beforeAll(async () => {
  await api("PUT", `/api/vhosts/${V}`, {});
  await api("PUT", `/api/permissions/${V}/guest`, { configure: ".*", write: ".*", read: ".*" });
  await api("PUT", `/api/policies/${V}/ttl`, {
    pattern: "^work\\.",
    definition: { "message-ttl": 60000 },
    "apply-to": "queues",
    priority: 1,
  });
  await api("PUT", `/api/queues/${V}/orders.bad`, { durable: false, auto_delete: false, arguments: {} });
  await api("PUT", `/api/queues/${V}/work.invoices`, { durable: true, auto_delete: false, arguments: {} });
  await api("PUT", `/api/queues/${V}/backlog`, { durable: true, auto_delete: false, arguments: {} });
  await api("POST", `/api/exchanges/${V}/amq.default/publish`, {
    properties: {},
    routing_key: "backlog",
    payload: "x",
    payload_encoding: "string",
  });

  conn = await connect(`${AMQP_URL.replace(/\/$/, "")}/${V}`);
  const ch = await conn.createChannel(); // no confirmSelect: publishes unconfirmed
  await ch.consume("work.invoices", () => undefined, { noAck: true });
  for (let i = 0; i < 5; i++) ch.sendToQueue("work.invoices", Buffer.from("invoice"));

  await until(
    "backlog depth",
    async () => ((await api("GET", `/api/queues/${V}/backlog`)) as { messages?: number }).messages === 1,
  );
  await until("channel publish stats", async () => {
    const chans = (await api("GET", `/api/vhosts/${V}/channels`)) as {
      message_stats?: { publish?: number };
    }[];
    return chans.some((c) => (c.message_stats?.publish ?? 0) > 0);
  });
  await until("consumer", async () => ((await api("GET", `/api/consumers/${V}`)) as unknown[]).length > 0);
}, 120_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  await api("DELETE", `/api/vhosts/${V}`);
});

describe("live RabbitMQ audit", () => {
  it("names the bad queue, the policy-hidden TTL, the backlog, the auto-ack consumer and the unconfirmed channel", async () => {
    const model = await loadRabbitLive(`http://guest:guest@${new URL(API).host}`);
    expect(model.source.target).toBe(`http://guest:****@${new URL(API).host}/`);
    const mine = runAudit(restrictToVhost(model, VH));
    // Narrowed to the test's vhost: nothing from other vhosts on the shared broker.
    const vhostOf = (resource: string): string | undefined => /^vhost (\S+)/.exec(resource)?.[1];
    expect(mine.filter((f) => vhostOf(f.resource) !== undefined && vhostOf(f.resource) !== VH)).toEqual([]);
    const find = (ruleId: string, text: string): Finding | undefined =>
      mine.find((f) => f.ruleId === ruleId && `${f.resource} ${f.message}`.includes(text));

    expect(find("rmq-non-durable-queue", "orders.bad")).toBeDefined();
    expect(find("rmq-ttl-without-dlx", "message-ttl=60000 (policy ttl)")?.resource).toBe(
      `vhost ${VH} queue work.invoices`,
    );
    expect(find("rmq-backlog-without-consumers", "backlog")).toBeDefined();
    expect(find("rmq-auto-ack-consumer", "work.invoices")).toBeDefined();
    expect(find("rmq-publish-without-confirms", "without confirm mode")).toBeDefined();
    expect(find("rmq-ttl-without-dlx", "work.invoices")?.fix).toContain(
      `rabbitmqctl set_policy -p '${VH}' 'ttl' '^work\\.'`,
    );

    for (const format of FORMATS) {
      const out = render({ source: model.source, findings: mine, rules: ALL_RULES }, format);
      expect(out).not.toContain("guest:guest@");
    }
  });
});
