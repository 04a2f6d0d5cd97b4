/** The spec source: a topology spec goes through the SpecCompiler interface into the same rules. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { loadFile } from "../../src/audit/sources/load.js";
import type { SpecCompiler } from "../../src/audit/sources/spec.js";
import { cleanDefs } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "mqa-audit-spec-"));

/** Stands in for src/topology's compiler: returns fixed definitions and echoes the spec's streams. */
const compiler: SpecCompiler = {
  compile(doc) {
    const d = cleanDefs();
    d.queues[0]!.durable = false;
    const streams = (doc as { redis?: { streams?: unknown[] } }).redis?.streams ?? [];
    return { definitions: d, redis: { keyPrefix: "", streams, delayedSets: [] } };
  },
};

describe("spec source", () => {
  it("audits the expanded definitions and the declared streams", async () => {
    const path = join(dir, "spec.yaml");
    writeFileSync(
      path,
      [
        "version: 1",
        "redis:",
        "  streams:",
        "    - { key: 'shop:orders', groups: [{ name: billing }], retention: {} }",
        "    - { key: 'shop:events', groups: [{ name: audit }], retention: { maxLength: 100000 } }",
      ].join("\n"),
    );
    const model = await loadFile(path, { specCompiler: compiler });
    expect(model.source).toEqual({ kind: "spec-file", target: path });
    const findings = runAudit(model);
    expect(findings.some((f) => f.ruleId === "rmq-non-durable-queue" && f.location.file === path)).toBe(true);
    const untrimmed = findings.filter((f) => f.ruleId === "redis-stream-untrimmed").map((f) => f.resource);
    expect(untrimmed).toEqual(["stream shop:orders"]);
    // Server facts are unknown for a spec, not bad: no config, TLS or ACL findings.
    expect(findings.filter((f) => /^redis-(appendonly|no-tls|config|default-user)/.test(f.ruleId))).toEqual(
      [],
    );
  });
});
