/** `mqa design` end to end: a requirements file in, a report and a spec out that the topology and audit commands accept. */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mqa } from "./support/cli.js";

/** A requirements file `<name>.yaml` with `lines`, and where its spec should go. */
async function requirements(name: string, lines: string[]): Promise<{ reqFile: string; spec: string }> {
  const dir = await mkdtemp(join(tmpdir(), "mqa-design-"));
  const reqFile = join(dir, `${name}.yaml`);
  await writeFile(reqFile, lines.join("\n"));
  return { reqFile, spec: join(dir, `${name}.topology.yaml`) };
}

/** The spec passes `mqa topology validate` and `mqa audit --fail-on low`: mqa's designs pass its own checks. */
async function expectValidAndClean(spec: string): Promise<void> {
  expect((await mqa("topology", "validate", spec)).code).toBe(0);
  const audit = await mqa("audit", spec, "--fail-on", "low", "--json");
  expect(audit.code, audit.stdout).toBe(0);
}

describe("mqa design", () => {
  it("turns a requirements file into a design whose spec validates and audits clean", async () => {
    const { reqFile, spec } = await requirements("payments", [
      "name: payments",
      "rate: 3000",
      "messageSize: 2KiB",
      "durability: strict",
      "groups: [ledger, notify]",
    ]);
    const text = await mqa("design", reqFile, "--spec-out", spec);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Recommendation\n-+\n {2}RabbitMQ quorum queues/);
    expect(text.stdout).toContain("mqa verify --broker amqp://USER:PASS@HOST:5672 --spawn-broker");

    await expectValidAndClean(spec);
    expect(await readFile(spec, "utf8")).toContain("name: ledger");

    // Flags override the file.
    const json = await mqa("design", reqFile, "--durability", "best-effort", "--latency", "5", "--json");
    const design = JSON.parse(json.stdout) as { choice: string; requirements: { durability: string } };
    expect(design).toMatchObject({ choice: "redis-streams", requirements: { durability: "best-effort" } });

    const md = await mqa("design", "--rate", "100", "--replay", "3d", "--format", "markdown");
    expect(md.stdout).toMatch(/^# Design: events/);
    expect(md.stdout).toContain("## Rollback");
  });

  it("designs several flows together into one spec that validates and audits clean", async () => {
    const { reqFile, spec } = await requirements("system", [
      "flows:",
      "  - { name: payments, rate: 3000, messageSize: 2KiB, durability: strict, groups: [ledger, notify] }",
      "  - { name: clicks, rate: 30000, messageSize: 300, durability: best-effort, latencyP99Ms: 5 }",
      "  - { name: views, rate: 20000, messageSize: 300, durability: best-effort, latencyP99Ms: 5 }",
    ]);
    const text = await mqa("design", reqFile, "--spec-out", spec);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^mqa design: 3 flows/);
    expect(text.stdout).toMatch(/Redis: clicks, views — 50000 msg\/s/);
    expect(text.stdout).toMatch(/above what one Redis server takes/);
    await expectValidAndClean(spec);
    const written = await readFile(spec, "utf8");
    for (const name of ["payments", "clicks", "views"]) expect(written).toContain(`name: ${name}`);

    const json = JSON.parse((await mqa("design", reqFile, "--json")).stdout) as {
      flows: { choice: string }[];
      load: { broker: string; problems: string[] }[];
    };
    expect(json.flows.map((f) => f.choice)).toEqual(["rabbitmq-quorum", "redis-streams", "redis-streams"]);

    // A flag would not say which flow it means.
    const flagged = await mqa("design", reqFile, "--rate", "5");
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toMatch(/with flows, write rate in each flow/);
  });

  it("keeps per-key order on RabbitMQ with partition queues and per-key handling, and names the --spec-out file", async () => {
    const { reqFile } = await requirements("orders", [
      "name: orders",
      "rate: 4000",
      "handlerTime: 50ms",
      "ordering: per-key",
      "durability: strict",
      "groups: [billing]",
    ]);
    const spec = join(reqFile, "..", "elsewhere.yaml");
    const text = await mqa("design", reqFile, "--spec-out", spec);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Topology (${spec})`);
    expect(text.stdout).toContain(`mqa topology validate ${spec}`);
    expect(text.stdout).not.toContain("orders.topology.yaml");
    // 4000 msg/s at 50 ms a message with 25% headroom: 250 at once, 3 partitions at prefetch 84.
    expect(text.stdout).toMatch(/2 consumer process\(es\) per group with prefetch 84 and order: "per-key"/);
    expect(text.stdout).toContain("prefetch: 84");
    await expectValidAndClean(spec);
    const written = await readFile(spec, "utf8");
    expect(written).toContain("partitions: 3");
    expect(written).not.toContain("p2.#");
    expect(written).toMatch(/x-single-active-consumer: true/);
    // The DLQs are bounded by a policy that refuses rather than drops.
    expect(written).toMatch(/overflow: reject-publish/);
  });

  it("puts 20 MiB messages through a claim-check, assumptions first and next steps last", async () => {
    const { spec } = await requirements("big", []);
    const r = await mqa("design", "--name", "scans", "--rate", "50", "--size", "20MiB", "--spec-out", spec);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toMatch(/sharded by hand/);
    expect(out.indexOf("Assumptions (not given; defaults used)")).toBeLessThan(out.indexOf("Recommendation"));
    expect(out).toMatch(/Claim-check: the payload in a store[\s\S]*sized for 50 references\/s/);
    expect(out).toMatch(/write the object first, then publish the reference/);
    expect(out).toMatch(/expire objects after 15 days/);
    expect(out).toMatch(/Flow\n-+\n {2}RabbitMQ vhost \//);
    expect(out).toContain("rabbitmqadmin --vhost=/ declare queue name=scans.workers");
    expect(out).toContain("Management UI (http://HOST:15672):");
    expect(out).toMatch(/Next steps, in this order\n-+\n {2}1\. Confirm what was assumed/);
    expect(out.trimEnd().split("\n").at(-1)).toMatch(/^ {2}\d+\. Deploy consumers before publishers/);
    const written = await readFile(spec, "utf8");
    expect(written).toMatch(/^# Designed by `mqa design`\. Patterns, and why:\n# - Claim-check/);
    await expectValidAndClean(spec);
    const md = await mqa("design", "--rate", "50", "--size", "20MiB", "--format", "markdown");
    expect(md.stdout).toMatch(/```mermaid\nflowchart/);
  }, 120_000);

  it("compares RabbitMQ and Redis Streams side by side, in text, markdown and JSON", async () => {
    const text = await mqa("design", "--rate", "1000", "--durability", "strict", "--compare");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/◆ Guarantees \(deciding, favours RabbitMQ quorum queues\)/);
    const md = await mqa("design", "--rate", "1000", "--latency", "5", "--compare", "--format", "markdown");
    expect(md.stdout).toContain("| Aspect | RabbitMQ quorum queues | Redis Streams |");
    const json = JSON.parse(
      (await mqa("design", "--rate", "1000", "--replay", "7d", "--compare", "--json")).stdout,
    ) as { rabbitmq: string; rows: { aspect: string; deciding: boolean }[] };
    expect(json.rabbitmq).toBe("rabbitmq-stream");
    expect(json.rows.find((r) => r.aspect === "Backlog and memory")!.deciding).toBe(true);
  }, 120_000);

  it("rejects requirements it does not understand, naming the field", async () => {
    const { reqFile } = await requirements("bad", ["rate: 100", "throughput: 5"]);
    const r = await mqa("design", reqFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/throughput/);
    // No terminal (stdin is a pipe here) and no requirements: a clear error, no questions.
    const none = await mqa("design");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/rate is missing: give --rate/);
    expect(none.stdout).toBe("");
  });
});
