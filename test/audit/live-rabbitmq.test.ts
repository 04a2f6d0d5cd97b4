/**
 * Live RabbitMQ audit against the real shared broker: deliberately bad queues under a unique name prefix, a
 * policy that only matches them, a consumer using auto-ack and a channel publishing without confirms; the
 * audit must name each of them. Everything is deleted afterwards.
 *
 * They live in the default vhost rather than a fresh one: on the shared 3.10 broker a new vhost's
 * supervisor sometimes never starts (PUT /api/vhosts hangs for 60 s and the vhost stays "stopped"), which
 * would make this test fail for a reason that has nothing to do with the audit.
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

const P = `mqa-audit-${randomBytes(4).toString("hex")}`;
const VH = "/";
const V = encodeURIComponent(VH);
const BAD = `${P}.bad`;
const WORK = `${P}.work.invoices`;
const BACKLOG = `${P}.backlog`;
const POLICY = `${P}-ttl`;
const API = "http://127.0.0.1:15672";
const AUTH = "Basic " + Buffer.from("guest:guest").toString("base64");
let conn: ChannelModel | undefined;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(API + path, {
    method,
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Management stats are emitted every few seconds: wait (bounded) until the broker shows what we did. */
async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const pattern = `^${P.replace(/[.-]/g, "\\$&")}\\.work\\.`;
  await api("PUT", `/api/policies/${V}/${POLICY}`, {
    pattern,
    definition: { "message-ttl": 60000 },
    "apply-to": "queues",
    priority: 1,
  });
  await api("PUT", `/api/queues/${V}/${BAD}`, { durable: false, auto_delete: false, arguments: {} });
  await api("PUT", `/api/queues/${V}/${WORK}`, { durable: true, auto_delete: false, arguments: {} });
  await api("PUT", `/api/queues/${V}/${BACKLOG}`, { durable: true, auto_delete: false, arguments: {} });
  await api("POST", `/api/exchanges/${V}/amq.default/publish`, {
    properties: {},
    routing_key: BACKLOG,
    payload: "x",
    payload_encoding: "string",
  });

  conn = await connect("amqp://guest:guest@127.0.0.1:5672");
  const ch = await conn.createChannel(); // no confirmSelect: publishes unconfirmed
  await ch.consume(WORK, () => undefined, { noAck: true });
  for (let i = 0; i < 5; i++) ch.sendToQueue(WORK, Buffer.from("invoice"));

  await until(
    "backlog depth",
    async () => ((await api("GET", `/api/queues/${V}/${BACKLOG}`)) as { messages?: number }).messages === 1,
  );
  await until("channel publish stats", async () => {
    const chans = (await api("GET", "/api/channels")) as {
      name: string;
      message_stats?: { publish?: number };
    }[];
    const mine = (await api("GET", `/api/queues/${V}/${WORK}`)) as {
      consumer_details?: { channel_details?: { name?: string } }[];
    };
    const name = mine.consumer_details?.[0]?.channel_details?.name;
    return name !== undefined && chans.some((c) => c.name === name && (c.message_stats?.publish ?? 0) > 0);
  });
}, 120_000);

afterAll(async () => {
  await conn?.close().catch(() => undefined);
  for (const q of [BAD, WORK, BACKLOG])
    await api("DELETE", `/api/queues/${V}/${encodeURIComponent(q)}`).catch(() => undefined);
  await api("DELETE", `/api/policies/${V}/${POLICY}`).catch(() => undefined);
});

describe("live RabbitMQ audit", () => {
  it("names the bad queue, the policy-hidden TTL, the backlog, the auto-ack consumer and the unconfirmed channel", async () => {
    const model = await loadRabbitLive("http://guest:guest@127.0.0.1:15672");
    expect(model.source.target).toBe("http://guest:****@127.0.0.1:15672/");
    const all = runAudit(restrictToVhost(model, VH));
    // Narrowed to one vhost: nothing from other vhosts on the shared broker.
    expect(
      all.filter((f) => f.resource.startsWith("vhost ") && !f.resource.startsWith(`vhost ${VH} `)),
    ).toEqual([]);
    const channel = model.rabbit!.live!.consumers.find((c) => c.queue === WORK)?.channel;
    const mine = all.filter(
      (f) => f.resource.includes(P) || (channel !== undefined && f.resource.includes(channel)),
    );
    const find = (ruleId: string, text: string): Finding | undefined =>
      mine.find((f) => f.ruleId === ruleId && `${f.resource} ${f.message}`.includes(text));

    expect(find("rmq-non-durable-queue", BAD)).toBeDefined();
    expect(find("rmq-ttl-without-dlx", `message-ttl=60000 (policy ${POLICY})`)?.resource).toBe(
      `vhost / queue ${WORK}`,
    );
    expect(find("rmq-backlog-without-consumers", BACKLOG)).toBeDefined();
    expect(find("rmq-auto-ack-consumer", WORK)).toBeDefined();
    expect(find("rmq-publish-without-confirms", "without confirm mode")).toBeDefined();
    expect(find("rmq-ttl-without-dlx", WORK)?.fix).toContain(`rabbitmqctl set_policy -p '/' '${POLICY}'`);

    for (const format of FORMATS) {
      const out = render({ source: model.source, findings: all, rules: ALL_RULES }, format);
      expect(out).not.toContain("guest:guest@");
    }
  });
});
