/**
 * Audit as a user tagged `monitoring` (no definitions export): the audit must still check what the user can
 * list and say what it could not see. Creates a unique user on the shared broker and deletes it afterwards.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MqaError } from "../../src/core/errors.js";
import { runAudit } from "../../src/audit/engine.js";
import { loadRabbitLive } from "../../src/audit/sources/rabbitmq-live.js";
import { RABBIT_MANAGEMENT_URL } from "../support/topology.js";

const USER = `mqa-audit-mon-${randomBytes(4).toString("hex")}`;
const PASS = `Mon-${randomBytes(6).toString("hex")}`;
const AUTH = "Basic " + Buffer.from("guest:guest").toString("base64");
/** host:port of the management API: the shared broker unless the environment says otherwise. */
const HOST = new URL(RABBIT_MANAGEMENT_URL).host;

async function api(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`http://${HOST}${path}`, {
    method,
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
}

beforeAll(async () => {
  await api("PUT", `/api/users/${USER}`, { password: PASS, tags: "monitoring" });
  await api("PUT", `/api/permissions/%2F/${USER}`, { configure: "^$", write: "^$", read: ".*" });
});

afterAll(async () => {
  await api("DELETE", `/api/users/${USER}`);
});

describe("live RabbitMQ audit as a monitoring user", () => {
  it("reports the definitions it could not read and audits the rest", async () => {
    const model = await loadRabbitLive(`http://${USER}:${PASS}@${HOST}`);
    expect(model.inspectGaps.map((g) => g.what)).toContain("definitions (users, permissions, parameters)");
    expect(model.rabbit!.definitions.users).toEqual([]); // users need the administrator tag
    expect(model.rabbit!.definitions.queues.length).toBeGreaterThan(0); // rebuilt from /api/queues
    expect(model.rabbit!.live!.nodes.length).toBeGreaterThan(0);
    const findings = runAudit(model);
    const gap = findings.find((f) => f.ruleId === "audit-incomplete" && f.resource.startsWith("definitions"));
    expect(gap?.message).toMatch(/HTTP 401: user mqa-audit-mon-\w+ may not read it/);
    expect(JSON.stringify(findings)).not.toContain(PASS);
  });

  it("a wrong password fails the audit with the masked URL", async () => {
    const err = (await loadRabbitLive(`http://${USER}:wrong-${PASS}@${HOST}`).catch(
      (e: unknown) => e,
    )) as Error;
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    expect(err.message).toMatch(/refused the credentials \(401\)/);
    expect(err.message).not.toContain(PASS);
  });
});
