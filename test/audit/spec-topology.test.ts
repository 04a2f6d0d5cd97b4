import { writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTarget } from "../../src/audit/sources/load.js";
import { runAudit } from "../../src/audit/engine.js";

async function specFile(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mqa-audit-spec-"));
  const file = join(dir, "topology.yaml");
  await writeFile(file, yaml);
  return file;
}

const clean = `
version: 1
rabbitmq:
  vhosts: [{ name: shop }]
  topics:
    - name: orders
      vhost: shop
      groups:
        - name: billing
          retry: { attempts: 5, backoff: exponential 1s..5m }
redis:
  streams:
    - name: payments
      retention: { maxAge: 7d }
      groups: [{ name: ledger }]
`;

describe("audit of a topology spec (through the topology module)", () => {
  it("a spec built the mqa way raises no high or critical finding", async () => {
    const findings = runAudit(await loadTarget(await specFile(clean)));
    expect(findings.filter((f) => f.severity === "critical" || f.severity === "high")).toEqual([]);
    // Retention declared in the spec is seen: the stream is not reported as untrimmed.
    expect(findings.some((f) => f.ruleId === "redis-stream-untrimmed")).toBe(false);
  });

  it("finds what the spec gets wrong: a non-durable work queue and an untrimmed stream", async () => {
    const bad = `
version: 1
rabbitmq:
  vhosts: [{ name: shop }]
  queues:
    - { name: jobs, vhost: shop, type: classic, durable: false }
redis:
  streams:
    - name: events
      groups: [{ name: g }]
`;
    const findings = runAudit(await loadTarget(await specFile(bad)));
    const ids = new Set(findings.map((f) => f.ruleId));
    expect([...ids].some((id) => id.includes("durab"))).toBe(true);
    expect(ids.has("redis-stream-untrimmed")).toBe(true);
  });

  it("rejects an invalid spec with the path of the problem", async () => {
    await expect(
      loadTarget(await specFile("version: 1\nrabbitmq:\n  topics: [{ name: 5 }]\n")),
    ).rejects.toThrow(/rabbitmq\.topics/);
  });
});
