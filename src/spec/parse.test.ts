import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MqaError } from "../core/errors.js";
import { InvalidSpecError } from "./errors.js";
import { loadSpecFile, parseSpecText } from "./parse.js";

function issuesOf(fn: () => unknown): InvalidSpecError["issues"] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSpecError);
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    return (err as InvalidSpecError).issues;
  }
  throw new Error("expected an InvalidSpecError");
}

const base = `version: 1
rabbitmq:
  vhosts: [{ name: shop }]
  queues:
    - { name: a, vhost: shop }
    - { name: b, vhost: shop }
`;

describe("parseSpecText", () => {
  it("reads the example spec", async () => {
    const spec = await loadSpecFile(join(import.meta.dirname, "../topology/fixtures/shop.yaml"));
    expect(spec.rabbitmq?.topics?.[0]?.groups.map((g) => g.name)).toEqual(["billing", "shipping"]);
    expect(spec.redis?.streams?.[0]?.partitions).toBe(2);
  });

  it("names the path and line of a wrong type", () => {
    const text = `${base}    - name: c
      vhost: shop
      arguments:
        x-max-length: "10"
`;
    expect(issuesOf(() => parseSpecText(text, "yaml"))).toEqual([
      {
        path: "rabbitmq.queues[2].arguments.x-max-length",
        message: "expected number, received string",
        line: 10,
      },
    ]);
  });

  it("rejects unknown keys with their path", () => {
    const issues = issuesOf(() =>
      parseSpecText(`${base}    - { name: c, vhost: shop, durible: true }\n`, "yaml"),
    );
    expect(issues).toEqual([{ path: "rabbitmq.queues[2].durible", message: "unknown key", line: 7 }]);
    const top = issuesOf(() => parseSpecText(`{"version": 1, "kafka": {}}`, "json"));
    expect(top.map((i) => i.path)).toEqual(["kafka"]);
  });

  it("refuses plaintext passwords", () => {
    const text = `version: 1\nrabbitmq:\n  users:\n    - { name: app, password: hunter2 }\n`;
    const [issue] = issuesOf(() => parseSpecText(text, "yaml"));
    expect(issue?.path).toBe("rabbitmq.users[0].password");
    expect(issue?.message).toMatch(/passwordHash or passwordFromEnv/);
    expect(JSON.stringify(issue)).not.toContain("hunter2");
  });

  it("reports broken JSON and YAML with a line", () => {
    const json = issuesOf(() => parseSpecText('{\n  "version": 1,\n  "rabbitmq": {\n', "json"));
    expect(json[0]?.path).toBe("(root)");
    expect(json[0]?.message).toMatch(/not valid JSON/);
    const yaml = issuesOf(() => parseSpecText("version: 1\nrabbitmq:\n  queues: [a,\n  b: 2\n", "yaml"));
    expect(yaml[0]?.message).toMatch(/not valid YAML/);
    expect(yaml[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it("checks references and duplicates", () => {
    const text = `version: 1
rabbitmq:
  vhosts: [{ name: shop }]
  queues: [{ name: q, vhost: shop }, { name: q, vhost: shop }]
  bindings: [{ vhost: shop, source: nowhere, destination: q }, { source: amq.topic, destination: q }]
  permissions: [{ user: ghost, vhost: shop, configure: "", write: "", read: "" }]
`;
    expect(issuesOf(() => parseSpecText(text, "yaml")).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'rabbitmq.queues[1].name: queue "q" is declared twice',
      'rabbitmq.bindings[0].source: exchange "nowhere" is not declared in vhost "shop"',
      'rabbitmq.bindings[1].vhost: vhost "/" is not declared: add { name: "/" } to rabbitmq.vhosts',
      'rabbitmq.bindings[1].destination: queue "q" is not declared in vhost "/"',
      'rabbitmq.permissions[0].user: user "ghost" is not declared in rabbitmq.users',
    ]);
  });

  it("rejects a bad duration and backoff", () => {
    const text = `version: 1\nredis:\n  streams:\n    - name: s\n      retention: { maxAge: 7 days }\n      groups: [{ name: g, retry: { attempts: 3, backoff: "exponential fast" } }]\n`;
    expect(issuesOf(() => parseSpecText(text, "yaml")).map((i) => i.path)).toEqual([
      "redis.streams[0].retention.maxAge",
      "redis.streams[0].groups[0].retry.backoff",
    ]);
  });

  it("reports a missing file as a spec error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mqa-spec-"));
    await expect(loadSpecFile(join(dir, "missing.yaml"))).rejects.toBeInstanceOf(InvalidSpecError);
    await writeFile(join(dir, "spec.json"), '{"version": 2}');
    await expect(loadSpecFile(join(dir, "spec.json"))).rejects.toThrow(/version/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe("docs/topology.md", () => {
  it("its quick-start spec is valid", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(join(import.meta.dirname, "../../docs/topology.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(yaml).toBeDefined();
    const spec = parseSpecText(yaml ?? "", "yaml", "docs/topology.md");
    expect(spec.rabbitmq?.topics?.[0]?.name).toBe("orders");
  });
});
