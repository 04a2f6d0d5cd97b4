/** Passwords in URIs, password hashes and Redis secrets never appear in any report format or error. */
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import { FORMATS, render } from "../../src/audit/reporters/mod.js";
import { loadFile } from "../../src/audit/sources/load.js";
import { parseAclLine } from "../../src/audit/sources/redis-live.js";
import { fixture, redisModel, cleanRedis } from "./helpers.js";
import type { DefsJson } from "./helpers.js";

const defsJson = JSON.parse(readFileSync(fixture("bad-definitions.json"), "utf8")) as DefsJson;
const SECRETS = [
  ...defsJson.users.map((u) => u.password_hash),
  "Wareh0use-Secret!",
  "Wareh0use-Secret%21",
  "Fed3ration-Pw",
];

describe("secrets are never printed", () => {
  it("definitions: no hash or URI password in any format", async () => {
    const model = await loadFile(fixture("bad-definitions.json"));
    const findings = runAudit(model);
    // The fixture really does trip the rules that look at these secrets.
    for (const id of [
      "rmq-shovel-uri-credentials",
      "rmq-federation-uri-credentials",
      "rmq-password-equals-username",
      "rmq-md5-password-hashing",
    ])
      expect(
        findings.some((f) => f.ruleId === id),
        id,
      ).toBe(true);
    for (const format of FORMATS) {
      const out = render({ source: model.source, findings, rules: ALL_RULES }, format);
      for (const s of SECRETS) expect(out, `${format} leaks ${s}`).not.toContain(s);
      expect(out).toContain("shovel:****@warehouse.example.net");
    }
  });

  it("a rule message that would quote a secret is scrubbed by the engine", async () => {
    const model = await loadFile(fixture("bad-definitions.json"));
    model.rabbit!.definitions.users[0]!.name = defsJson.users[1]!.password_hash; // pathological: a hash as a name
    const out = runAudit(model)
      .map((f) => JSON.stringify(f))
      .join("\n");
    expect(out).not.toContain(defsJson.users[1]!.password_hash);
  });

  it("Redis: ACL hashes and CONFIG secrets stay out of the model and the report", () => {
    const secrets = new Set<string>();
    const hash = "a".repeat(64);
    const user = parseAclLine(`user app on #${hash} ~app:* +@all`, secrets);
    expect(JSON.stringify(user)).not.toContain(hash);
    expect(secrets.has(hash)).toBe(true);
    const r = cleanRedis();
    r.aclUsers!.push(user);
    const model = redisModel(r);
    model.secrets = secrets;
    model.secrets.add("Requ1re-Pass");
    r.config!["masterauth"] = "****";
    r.info["master_auth_hint"] = "Requ1re-Pass"; // even if INFO carried it
    const findings = runAudit(model);
    for (const format of FORMATS) {
      const out = render({ source: model.source, findings, rules: ALL_RULES }, format);
      expect(out).not.toContain(hash);
      expect(out).not.toContain("Requ1re-Pass");
    }
  });

  it("broken JSON: the error names file and line but does not quote the content", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mqa-audit-"));
    const path = join(dir, "defs.json");
    writeFileSync(
      path,
      '{\n  "users": [\n    {"name": "x", "password_hash": "HASH-SHOULD-NOT-LEAK-1234",}\n  ]\n}\n',
    );
    const err = (await loadFile(path).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/broken JSON at line 3/);
    expect(err.message).not.toContain("HASH-SHOULD-NOT-LEAK");
  });
});
