/**
 * The SARIF output validated against the SARIF 2.1.0 JSON schema (rtm.5, the version GitHub code
 * scanning accepts; copied from the MIT-licensed npm package @microsoft/jest-sarif into
 * fixtures/sarif/), and config-file findings located by file and line as code scanning shows them.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { auditTarget } from "../../src/audit/mod.js";
import { renderSarif } from "../../src/audit/reporters/sarif.js";
import { fixture } from "./helpers.js";

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(fixture("sarif/sarif-schema-2.1.0-rtm.5.json"), "utf8")) as object;

function validator(): (doc: unknown) => string[] {
  // The schema is draft-04: ajv 6 validates it once the draft-04 meta-schema is registered.
  const ajv = new Ajv({ schemaId: "id", allErrors: true });
  ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-04.json") as object);
  const validate = ajv.compile(schema);
  return (doc) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? ""}`);
}

interface SarifResult {
  ruleId: string;
  locations: { physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
  properties: { confidence?: string };
}

describe("SARIF against the SARIF 2.1.0 schema", () => {
  const validate = validator();

  it("the schema rejects a broken log (the validator works)", () => {
    expect(validate({ version: "2.1.0", runs: [{ tool: {} }] })).not.toEqual([]);
    expect(
      validate({ version: "2.1.0", runs: [{ tool: { driver: { name: "x" } }, results: [{ message: {} }] }] }),
    ).not.toEqual([]);
  });

  for (const target of ["real-world", "bad-definitions.json", "real-world/compose/docker-compose.yml"]) {
    it(`${target}: valid`, async () => {
      const report = await auditTarget(fixture(target));
      const doc = JSON.parse(renderSarif(report)) as unknown;
      expect(validate(doc)).toEqual([]);
    });
  }

  it("config-file findings carry file and startLine; inferred ones their confidence", async () => {
    const report = await auditTarget(fixture("real-world"));
    const doc = JSON.parse(renderSarif(report)) as {
      runs: { results: SarifResult[]; invocations?: unknown[] }[];
    };
    const results = doc.runs[0]!.results;
    const located = (ruleId: string, file: string): number | undefined =>
      results
        .filter((r) => r.ruleId === ruleId)
        .map((r) => r.locations[0]!.physicalLocation)
        .find((p) => p?.artifactLocation.uri.endsWith(file))?.region?.startLine;
    expect(located("rmq-memory-watermark-high", "real-world/rabbitmq.conf")).toBe(16);
    expect(located("redis-password-in-file", "real-world/redis.conf")).toBe(6);
    expect(located("rmq-consumer-timeout-disabled", "real-world/advanced.config")).toBe(6);
    expect(located("rmq-memory-watermark-high", "real-world/values-rabbitmq.yaml")).toBe(16);
    for (const r of results)
      expect(r.locations[0]!.physicalLocation?.region?.startLine ?? 1).toBeGreaterThan(0);
    expect(results.find((r) => r.ruleId === "rmq-permission-literal-quotes")?.properties.confidence).toBe(
      "medium",
    );
    // The skipped subdirectory is reported as a tool notification, not silently dropped.
    expect(JSON.stringify(doc.runs[0]!.invocations)).toContain("not entered");
  });
});
