/** Reporters: JSON shape, SARIF 2.1.0 structure, text and Markdown grouping. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runAudit } from "../../src/audit/engine.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import { render } from "../../src/audit/reporters/mod.js";
import type { AuditReport } from "../../src/audit/reporters/mod.js";
import { loadFile } from "../../src/audit/sources/load.js";
import { fixture } from "./helpers.js";

async function badReport(): Promise<AuditReport> {
  const model = await loadFile(fixture("bad-definitions.json"));
  return { source: model.source, findings: runAudit(model), rules: ALL_RULES };
}

const text = z.strictObject({ text: z.string().min(1) });
/** The parts of the SARIF 2.1.0 schema this reporter uses, strict so a typo'd property fails. */
const sarifSchema = z.strictObject({
  $schema: z.string(),
  version: z.literal("2.1.0"),
  runs: z
    .array(
      z.strictObject({
        tool: z.strictObject({
          driver: z.strictObject({
            name: z.string(),
            version: z.string(),
            rules: z.array(
              z.strictObject({
                id: z.string(),
                name: z.string(),
                shortDescription: text,
                fullDescription: text,
                help: z.strictObject({ text: z.string(), markdown: z.string() }),
                defaultConfiguration: z.strictObject({ level: z.enum(["none", "note", "warning", "error"]) }),
                properties: z.record(z.string(), z.unknown()),
              }),
            ),
          }),
        }),
        results: z.array(
          z.strictObject({
            ruleId: z.string(),
            ruleIndex: z.number().int().nonnegative(),
            level: z.enum(["none", "note", "warning", "error"]),
            message: text,
            locations: z
              .array(
                z.strictObject({
                  physicalLocation: z
                    .strictObject({
                      artifactLocation: z.strictObject({ uri: z.string() }),
                      region: z.strictObject({ startLine: z.number().int().positive() }).optional(),
                    })
                    .optional(),
                  logicalLocations: z
                    .array(
                      z.strictObject({ name: z.string(), fullyQualifiedName: z.string(), kind: z.string() }),
                    )
                    .min(1),
                }),
              )
              .min(1),
            partialFingerprints: z.record(z.string(), z.string()),
            properties: z.record(z.string(), z.unknown()),
          }),
        ),
      }),
    )
    .length(1),
});

describe("reporters", () => {
  it("json: findings with ruleId/severity/category/resource/message/fix and a summary", async () => {
    const report = await badReport();
    const doc = JSON.parse(render(report, "json")) as {
      findings: Record<string, unknown>[];
      summary: Record<string, number>;
    };
    expect(doc.findings.length).toBe(report.findings.length);
    for (const f of doc.findings)
      for (const k of ["ruleId", "severity", "category", "resource", "message", "why", "fix"])
        expect(typeof f[k], k).toBe("string");
    expect(doc.summary["total"]).toBe(report.findings.length);
    expect(doc.summary["critical"]).toBe(report.findings.filter((f) => f.severity === "critical").length);
  });

  it("sarif: matches the 2.1.0 shape; results point at known rules, the file and a logical location", async () => {
    const report = await badReport();
    const log = sarifSchema.parse(JSON.parse(render(report, "sarif")));
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(ALL_RULES.map((r) => r.id));
    expect(run.results.length).toBe(report.findings.length);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(r.locations[0]!.physicalLocation?.artifactLocation.uri).toMatch(/bad-definitions\.json$/);
    }
    const critical = run.results.find((r) => r.ruleId === "rmq-password-equals-username");
    expect(critical?.level).toBe("error");
    expect(critical?.locations[0]!.physicalLocation?.region?.startLine).toBe(5); // the guest user's line
    expect(critical?.locations[0]!.logicalLocations[0]).toEqual({
      name: "guest",
      fullyQualifiedName: "user guest",
      kind: "user",
    });
  });

  it("text: grouped by severity then category, with why and fix", async () => {
    const out = render(await badReport(), "text");
    const order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"].map((s) => out.indexOf(`\n${s} (`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(out).toContain("[rmq-ttl-without-dlx]");
    expect(out).toContain("why: ");
    expect(out).toContain("fix: rabbitmqctl set_policy -p 'shop' 'orders-ttl'");
    expect(out).toMatch(/\d+ finding\(s\): 1 critical, \d+ high/);
  });

  it("markdown: summary table and a section per finding", async () => {
    const out = render(await badReport(), "markdown");
    expect(out).toMatch(/^# mqa audit: `.*bad-definitions\.json`/);
    expect(out).toContain("| critical | high | medium | low | info | total |");
    expect(out).toContain("## critical: A user's password is its user name");
  });

  it("an empty report says so", () => {
    const out = render(
      { source: { kind: "definitions-file", target: "x.json" }, findings: [], rules: ALL_RULES },
      "text",
    );
    expect(out).toContain("No findings.");
  });
});

describe("text reporter on a large broker", () => {
  it("lists 10 resources per rule and counts the rest", async () => {
    const report = await badReport();
    const f = report.findings.find((x) => x.ruleId === "rmq-no-length-limit")!;
    const many = Array.from({ length: 25 }, (_, i) => ({ ...f, resource: `vhost shop queue q${i}` }));
    const out = render({ ...report, findings: many }, "text");
    expect(out).toContain("vhost shop queue q9:");
    expect(out).not.toContain("vhost shop queue q10:");
    expect(out).toContain("… and 15 more (--format json lists every one)");
    expect(out).toContain("25 finding(s)");
  });
});
