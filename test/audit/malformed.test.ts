/** Malformed input gives a clear error with its path; nothing is audited. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MqaError } from "../../src/core/errors.js";
import { AuditInputError } from "../../src/audit/sources/definitions.js";
import { loadFile, loadTarget, targetKind } from "../../src/audit/sources/load.js";

const dir = mkdtempSync(join(tmpdir(), "mqa-audit-malformed-"));
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("malformed audit input", () => {
  it("wrong types: every problem with its path", async () => {
    const p = file(
      "types.json",
      JSON.stringify({
        queues: [{ name: 5, vhost: "/" }],
        users: [{ name: "a", tags: 3 }],
        policies: [{ name: "p", pattern: ".*", definition: [] }],
      }),
    );
    const err = (await loadFile(p).catch((e: unknown) => e)) as AuditInputError;
    expect(err).toBeInstanceOf(AuditInputError);
    expect(err.code).toBe("invalid-options");
    expect(err.message).toContain(p);
    expect(err.message).toContain("queues.0.name");
    expect(err.message).toContain("users.0.tags");
    expect(err.message).toContain("policies.0.definition");
    expect(err.message).not.toContain("policies.0.vhost"); // a missing vhost defaults to "/"
  });

  it("a runtime parameter of an unexpected shape is kept, masked, and does not stop the audit", async () => {
    const p = file(
      "odd-parameters.json",
      JSON.stringify({
        rabbit_version: "3.10.8",
        vhosts: [{ name: "/" }],
        parameters: [
          { vhost: "/", component: "some-plugin", name: "flag", value: true },
          { vhost: "/", component: "shovel", name: "s", value: "amqp://u:Secr3t-pw@remote.example.net" },
        ],
        queues: [{ name: "q", vhost: "/", durable: true, auto_delete: false, arguments: {} }],
      }),
    );
    const model = await loadFile(p);
    expect(model.rabbit?.definitions.parameters.map((x) => x.value)).toEqual([
      { value: true },
      { value: "amqp://u:****@remote.example.net" },
    ]);
    expect(model.rabbit?.definitions.parameters[1]?.uris[0]).toMatchObject({
      hasPassword: true,
      host: "remote.example.net",
    });
    expect(JSON.stringify(model.rabbit)).not.toContain("Secr3t-pw");
  });

  it("broken YAML names the line", async () => {
    const p = file("spec.yaml", "rabbitmq:\n  queues:\n    - name: a\n   bad: [\n");
    await expect(loadFile(p)).rejects.toThrow(/broken YAML at line \d+/);
  });

  it("a JSON array or scalar is rejected", async () => {
    await expect(loadFile(file("arr.json", "[1,2]"))).rejects.toThrow(/expected a JSON\/YAML object/);
  });

  it("a missing file says so", async () => {
    await expect(loadFile(join(dir, "nope.json"))).rejects.toThrow(/cannot read .*nope\.json: ENOENT/);
  });

  it("a document that is neither definitions nor a valid spec is rejected with the spec's paths", async () => {
    const err = await loadFile(
      file("spec.json", JSON.stringify({ version: 1, rabbitmq: { queuez: [] } })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/queuez/);
  });

  it("detects target kinds", () => {
    expect(targetKind("http://u:p@h:15672")).toBe("rabbitmq");
    expect(targetKind("https://h")).toBe("rabbitmq");
    expect(targetKind("redis://h:6379")).toBe("redis");
    expect(targetKind("rediss://h")).toBe("redis");
    expect(targetKind("./defs.json")).toBe("file");
  });

  it("an unreachable management API fails with the masked URL", async () => {
    const err = (await loadTarget("http://admin:Top-Secret-9@127.0.0.1:1").catch((e: unknown) => e)) as Error;
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(err.message).toContain("admin:****@127.0.0.1:1");
    expect(err.message).not.toContain("Top-Secret-9");
  });

  it("an unreachable Redis fails with the masked URL", async () => {
    const err = (await loadTarget("redis://:Top-Secret-9@127.0.0.1:1").catch((e: unknown) => e)) as Error;
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(err.message).not.toContain("Top-Secret-9");
  });
});
