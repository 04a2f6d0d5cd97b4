/**
 * The corpus of real-world-shaped configurations (test/audit/fixtures/real-world/): exports of every release
 * line since 3.0 and the configuration files teams keep in their repositories. For each, the exact set of
 * rules an experienced operator's review would raise: a missing finding fails, and so does any noise.
 */
import { describe, expect, it } from "vitest";
import { auditTarget } from "../../src/audit/mod.js";
import type { Finding } from "../../src/audit/finding.js";
import { render } from "../../src/audit/reporters/mod.js";
import { FORMATS } from "../../src/audit/reporters/report.js";
import { fixture } from "./helpers.js";

const rw = (name: string): string => fixture(`real-world/${name}`);

/** Secrets planted in the corpus: none may appear in any report. */
const SECRETS = [
  "Adm1n-Pr0d-Secret",
  "Str3ams-Pr0d-Passw0rd",
  "events-Passw0rd",
  "n0tify-Pr0d-2024!",
  "flushall-9f3c1a",
  "Gis8T", // every hash in the corpus starts with the same salt
];

const EXPECTED: Record<string, string[]> = {
  "rabbitmq-3.0.4-definitions.json": [
    "rmq-default-vhost-used",
    "rmq-guest-user",
    "rmq-md5-password-hashing",
    "rmq-password-equals-username",
    "rmq-unsupported-release",
  ],
  "rabbitmq-3.6.15-definitions.json": [
    "rmq-dead-letter-cycle",
    "rmq-ha-policy-keys",
    "rmq-no-length-limit",
    "rmq-permission-literal-quotes",
    "rmq-permission-unknown-user",
    "rmq-policy-priority-tie",
    "rmq-unsupported-release",
  ],
  "rabbitmq-3.8.9-definitions.json": [
    "rmq-delivery-limit-disabled",
    "rmq-ha-policy-keys",
    "rmq-unsupported-release",
  ],
  "rabbitmq-3.13.7-definitions.json": ["rmq-lazy-mode", "rmq-unsupported-release"],
  "rabbitmq-4.1.2-definitions.json": [
    "rmq-ha-policy-keys",
    "rmq-permission-unknown-user",
    "rmq-plaintext-password",
    "rmq-unsupported-release",
  ],
  "rabbitmq.conf": [
    "rmq-disk-free-limit-low",
    "rmq-guest-remote",
    "rmq-memory-watermark-high",
    "rmq-tls-no-peer-verification",
  ],
  "advanced.config": [
    "rmq-config-password-in-file",
    "rmq-consumer-timeout-disabled",
    "rmq-disk-free-limit-low",
  ],
  "redis.conf": [
    "redis-appendonly-off",
    "redis-dangerous-command-renamed",
    "redis-maxmemory-policy-evicts",
    "redis-password-in-file",
    "redis-protected-mode-off",
  ],
  "compose/docker-compose.yml": [
    "redis-appendonly-off",
    "redis-maxmemory-policy-evicts",
    "redis-password-in-file",
    "rmq-default-vhost-used",
    "rmq-guest-remote",
    "rmq-password-equals-username",
    "rmq-unsupported-release",
    "rmq-vhost-without-limits",
  ],
  "values-rabbitmq.yaml": ["rmq-disk-free-limit-low", "rmq-memory-watermark-high"],
};

const audit = async (name: string): Promise<Finding[]> => (await auditTarget(rw(name))).findings;
const ids = (fs: Finding[]): string[] => [...new Set(fs.map((f) => f.ruleId))].sort();
const one = (fs: Finding[], ruleId: string, resource?: string): Finding => {
  const f = fs.find((x) => x.ruleId === ruleId && (resource === undefined || x.resource.includes(resource)));
  if (!f) throw new Error(`no ${ruleId} ${resource ?? ""}`);
  return f;
};

describe("real-world corpus: exactly the findings a reviewer would write", () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: ${expected.length} rules, no noise, no secret`, async () => {
      const report = await auditTarget(rw(name));
      expect(ids(report.findings)).toEqual(expected);
      for (const format of FORMATS) {
        const out = render(report, format);
        for (const s of SECRETS) expect(out).not.toContain(s);
      }
    });
  }
});

describe("release lines", () => {
  it("3.0: guest is critical (no loopback restriction before 3.3), MD5 implied, release named", async () => {
    const fs = await audit("rabbitmq-3.0.4-definitions.json");
    expect(one(fs, "rmq-guest-user").severity).toBe("critical");
    expect(one(fs, "rmq-guest-user").message).toContain("loopback_users arrived in 3.3");
    expect(fs.filter((f) => f.ruleId === "rmq-md5-password-hashing").map((f) => f.resource)).toEqual([
      "user chat",
      "user guest",
    ]);
    const release = one(fs, "rmq-unsupported-release");
    expect(release.severity).toBe("high");
    expect(release.message).toContain("release line 3.0, out of community support since 2013-05");
    expect(release.location.line).toBe(2);
  });

  it("3.6: the DLQ cycle and the DLX tie are message-loss; '' is flagged with a confidence", async () => {
    const fs = await audit("rabbitmq-3.6.15-definitions.json");
    const cycle = one(fs, "rmq-dead-letter-cycle");
    expect(cycle.resource).toBe("vhost publishing queue publishing_dead_letter_queue");
    expect([cycle.severity, cycle.category]).toEqual(["high", "message-loss"]);
    const tie = one(fs, "rmq-policy-priority-tie", "publishing_content_changed");
    expect([tie.severity, tie.category]).toEqual(["high", "message-loss"]);
    expect(tie.message).toContain("dead-lettered or dropped");
    const quotes = one(fs, "rmq-permission-literal-quotes");
    expect(quotes.confidence).toBe("medium");
    expect(quotes.fix).toContain(`'^$' '^$' '.*'`);
    expect(one(fs, "rmq-permission-unknown-user").resource).toBe("vhost publishing user root");
    // Mirroring was the only replication on 3.6: worth planning, not an emergency.
    expect(one(fs, "rmq-ha-policy-keys").severity).toBe("medium");
    // The app-user rule does not repeat what the unknown-user finding says.
    expect(fs.some((f) => f.ruleId === "rmq-app-user-full-permissions")).toBe(false);
  });

  it("4.x: mirroring keys replicate nothing (message-loss); a cleartext password is flagged, not printed", async () => {
    const fs = await audit("rabbitmq-4.1.2-definitions.json");
    const ha = one(fs, "rmq-ha-policy-keys");
    expect([ha.severity, ha.category]).toEqual(["high", "message-loss"]);
    expect(ha.message).toContain("single copy");
    expect(one(fs, "rmq-plaintext-password").message).toContain("value not shown");
  });
});

describe("configuration files point at file and line, with a config line as the fix", () => {
  it("rabbitmq.conf", async () => {
    const fs = await audit("rabbitmq.conf");
    const at = (id: string): [string | undefined, number | undefined] => {
      const f = one(fs, id);
      return [f.location.file?.split("/").pop(), f.location.line];
    };
    expect(at("rmq-guest-remote")).toEqual(["rabbitmq.conf", 12]);
    expect(at("rmq-memory-watermark-high")).toEqual(["rabbitmq.conf", 16]);
    expect(at("rmq-tls-no-peer-verification")).toEqual(["rabbitmq.conf", 4]);
    expect(one(fs, "rmq-guest-remote").severity).toBe("critical");
    expect(one(fs, "rmq-memory-watermark-high").fix).toContain("vm_memory_high_watermark.relative = 0.6");
  });

  it("advanced.config: Erlang terms, lines of the terms", async () => {
    const fs = await audit("advanced.config");
    expect(one(fs, "rmq-consumer-timeout-disabled").location.line).toBe(6);
    expect(one(fs, "rmq-config-password-in-file").location.line).toBe(8);
    expect(one(fs, "rmq-disk-free-limit-low").severity).toBe("high");
  });

  it("redis.conf", async () => {
    const fs = await audit("redis.conf");
    expect(one(fs, "redis-password-in-file").location.line).toBe(6);
    expect(one(fs, "redis-dangerous-command-renamed").fix).toContain('rename-command FLUSHALL ""');
    expect(one(fs, "redis-maxmemory-policy-evicts").message).toContain("allkeys-lru");
    expect(one(fs, "redis-appendonly-off").fix).toContain("appendonly yes");
  });

  it("a compose file: mounted files and redis-server flags, one report", async () => {
    const report = await auditTarget(rw("compose/docker-compose.yml"));
    expect(report.source.kind).toBe("compose-file");
    const files = new Set(report.findings.map((f) => f.location.file?.split("real-world/").pop()));
    expect(files).toEqual(
      new Set([
        "compose/docker-compose.yml",
        "compose/rabbitmq/rabbitmq.conf",
        "compose/rabbitmq/definitions.json",
      ]),
    );
    expect(one(report.findings, "redis-password-in-file").location.line).toBe(13);
    expect(one(report.findings, "rmq-guest-remote").message).toContain("loopback_users = none");
  });

  it("Helm values: embedded rabbitmq.conf, lines of the values file, template values left alone", async () => {
    const fs = await audit("values-rabbitmq.yaml");
    expect(one(fs, "rmq-memory-watermark-high").location.line).toBe(16);
    expect(one(fs, "rmq-disk-free-limit-low").location.line).toBe(18);
  });

  it("a directory: every recognised file, subdirectories noted, rabbitmq.conf + advanced.config as one node", async () => {
    const report = await auditTarget(fixture("real-world"));
    expect(report.source.kind).toBe("directory");
    expect(report.notes).toEqual([expect.stringContaining("compose/: a subdirectory, not entered")]);
    const byFile = new Set(report.findings.map((f) => f.location.file?.split("/").pop()));
    for (const f of Object.keys(EXPECTED).filter((n) => !n.includes("/"))) expect(byFile).toContain(f);
    // advanced.config names another default user, so guest is not created on this node: no guest finding.
    expect(report.findings.some((f) => f.ruleId === "rmq-guest-remote")).toBe(false);
  });
});
