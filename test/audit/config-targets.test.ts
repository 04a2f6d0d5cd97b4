/**
 * Config-file targets through the real CLI and loader: one report for several files, a clear error naming
 * file and line for broken input, size limits, and compose mounts that leave the compose directory.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { auditTarget } from "../../src/audit/mod.js";
import { ConfigSyntaxError } from "../../src/audit/sources/config/syntax-error.js";
import { fixture, runAuditCli } from "./helpers.js";

const run = runAuditCli;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mqa-audit-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = 0;
});

describe("mqa audit on configuration files", () => {
  it("audits a directory into one JSON report, with notes for what it skipped", async () => {
    const r = await run(fixture("real-world"), "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      source: { kind: string };
      findings: { location: { file?: string } }[];
      notes: string[];
    };
    expect(doc.source.kind).toBe("directory");
    expect(new Set(doc.findings.map((f) => f.location.file?.split("/").pop())).size).toBeGreaterThan(5);
    expect(doc.notes).toEqual([expect.stringContaining("not entered")]);
  });

  it("text report shows file:line for settings; --fail-on critical exits 1", async () => {
    const r = await run(fixture("real-world/rabbitmq.conf"), "--fail-on", "critical");
    expect(r.code).toBe(1);
    expect(r.out).toContain("rabbitmq.conf:12): loopback_users.guest = false");
  });

  it("a broken rabbitmq.conf: exit 2, file and line named, no value echoed", async () => {
    const file = join(dir, "rabbitmq.conf");
    await writeFile(file, "listeners.tcp.default = 5672\ndefault_pass Leaky-Value\n");
    const r = await run(file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:2: expected "key = value"`);
    expect(r.err).not.toContain("Leaky-Value");
  });

  it("a broken advanced.config inside a directory fails the run with its file and line", async () => {
    const sub = join(dir, "broken-node");
    await mkdir(sub);
    await writeFile(
      join(sub, "advanced.config"),
      "[\n  {rabbit, [\n    {consumer_timeout, false}\n  ]\n].\n",
    );
    await expect(auditTarget(sub)).rejects.toThrow(ConfigSyntaxError);
    await expect(auditTarget(sub)).rejects.toThrow(/advanced\.config:5: expected "," or "}"/);
  });

  it("refuses a config file over the size limit before parsing it", async () => {
    const saved = process.env["MQA_MAX_SPEC_BYTES"];
    process.env["MQA_MAX_SPEC_BYTES"] = "1000";
    try {
      const file = join(dir, "big-redis.conf");
      await writeFile(file, `appendonly yes\n# ${"x".repeat(5000)}\n`);
      await expect(auditTarget(file)).rejects.toThrow(/over the limit .*nothing was parsed/);
    } finally {
      if (saved === undefined) delete process.env["MQA_MAX_SPEC_BYTES"];
      else process.env["MQA_MAX_SPEC_BYTES"] = saved;
    }
  });

  it("a compose file does not read mounts outside its directory, and says so", async () => {
    const sub = join(dir, "compose-outside");
    await mkdir(sub);
    await writeFile(join(dir, "redis.conf"), "appendonly no\n");
    await writeFile(
      join(sub, "compose.yaml"),
      "services:\n  redis:\n    image: redis:7\n    volumes:\n      - ../redis.conf:/usr/local/etc/redis/redis.conf\n",
    );
    const r = await auditTarget(join(sub, "compose.yaml"));
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual([expect.stringContaining("outside the compose file's directory: not read")]);
  });

  it("a directory notes files of unknown kinds and audits the rest", async () => {
    const sub = join(dir, "mixed");
    await mkdir(sub);
    await writeFile(join(sub, "README.md"), "# ops notes\n");
    await writeFile(join(sub, "redis.conf"), "appendonly yes\nmaxmemory-policy noeviction\n");
    const r = await auditTarget(sub);
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual([expect.stringContaining("README.md: not a recognised kind")]);
  });
});
