/** `mqa audit` through the real program: formats, --json, --fail-on exit codes, errors with exit 2. */
import { afterEach, describe, expect, it } from "vitest";
import { fixture, runAuditCli } from "./helpers.js";

const run = runAuditCli;

afterEach(() => {
  process.exitCode = 0;
});

describe("mqa audit", () => {
  it("prints a text report and exits 0 without --fail-on", async () => {
    const r = await run(fixture("bad-definitions.json"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("CRITICAL (1)");
    expect(r.out).toContain("[rmq-password-equals-username]");
  });

  it("--fail-on high exits 1 on the bad fixture, 0 on the clean one", async () => {
    expect((await run(fixture("bad-definitions.json"), "--fail-on", "high")).code).toBe(1);
    expect((await run(fixture("clean-definitions.json"), "--fail-on", "low")).code).toBe(0);
  });

  it("--json prints only JSON on stdout", async () => {
    const r = await run(fixture("bad-definitions.json"), "--json");
    const doc = JSON.parse(r.out) as { findings: { ruleId: string }[]; summary: { total: number } };
    expect(doc.summary.total).toBe(doc.findings.length);
    expect(doc.findings.some((f) => f.ruleId === "rmq-ha-policy-keys")).toBe(true);
  });

  it("--format sarif and markdown", async () => {
    expect(JSON.parse((await run(fixture("bad-definitions.json"), "--format", "sarif")).out)).toMatchObject({
      version: "2.1.0",
    });
    expect((await run(fixture("bad-definitions.json"), "--format", "markdown")).out).toMatch(/^# mqa audit/);
  });

  it("an unreadable target exits 2 with a message on stderr", async () => {
    const r = await run("/nonexistent/defs.json");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/mqa audit: cannot read \/nonexistent\/defs\.json: ENOENT \[invalid-options\]/);
  });

  it("--vhost narrows a RabbitMQ audit to one virtual host", async () => {
    const all = await run(fixture("bad-definitions.json"), "--json");
    const shop = await run(fixture("bad-definitions.json"), "--json", "--vhost", "shop");
    const resources = (r: { out: string }) =>
      (JSON.parse(r.out) as { findings: { resource: string }[] }).findings.map((f) => f.resource);
    expect(resources(all)).toContain("vhost / queue tasks");
    expect(resources(shop)).not.toContain("vhost / queue tasks");
    expect(resources(shop)).toContain("vhost shop queue shop.emails");
    expect(resources(shop)).toContain("user guest"); // users are broker-wide
  });

  it("rejects an unknown severity", async () => {
    await expect(run(fixture("bad-definitions.json"), "--fail-on", "severe")).rejects.toThrow(
      /Allowed choices are critical, high/,
    );
  });
});
