import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { maskUrl } from "../src/core/redact.js";
import { RabbitManagementApi } from "../src/brokers/management-api.js";
import { RABBIT_MANAGEMENT_URL, cleanupRabbit, uniqueName } from "./support/topology.js";

const run = promisify(execFile);
const bin = new URL("../bin/mqa.js", import.meta.url).pathname;
/** Each test's own vhost, working directory and spec file (for that vhost), removed after it. */
let vhost: string;
/** Names a test expects never to be created (as vhost and user): removed after it if they were. */
let ghosts: string[];
let dir: string;
let specFile: string;

async function mqa(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000, cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeEach(async () => {
  vhost = uniqueName("mqa-cli");
  ghosts = [];
  dir = await mkdtemp(join(tmpdir(), "mqa-topo-cli-"));
  specFile = join(dir, "topology.yaml");
  await writeFile(
    specFile,
    `version: 1
rabbitmq:
  maxRetryDelay: 1s
  vhosts: [{ name: ${vhost} }]
  topics:
    - name: orders
      vhost: ${vhost}
      groups: [{ name: billing, retry: { attempts: 3 } }]
`,
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await cleanupRabbit([vhost, ...ghosts], ghosts);
});

describe("mqa topology (built bin)", () => {
  it("validate: 0 for a valid spec, 1 with the path of each problem otherwise", async () => {
    const ok = await mqa("topology", "validate", specFile, "--json");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, rabbitmq: { queues: 13, exchanges: 14 } });
    const bad = join(dir, "bad.json");
    await writeFile(
      bad,
      '{"version": 1, "rabbitmq": {"queues": [{"name": "q", "arguments": {"x-max-length": "ten"}}]}}',
    );
    const text = await mqa("topology", "validate", bad);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(
      "rabbitmq.queues[0].arguments.x-max-length (line 1): expected number, received string",
    );
    const asJson = await mqa("topology", "validate", bad, "--json");
    expect(JSON.parse(asJson.stdout).issues[0].path).toBe("rabbitmq.queues[0].arguments.x-max-length");
  });

  it("plan, apply, diff: masks the password, exits 1 on drift", async () => {
    const plan = await mqa("topology", "plan", specFile, "--broker", RABBIT_MANAGEMENT_URL);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`rabbitmq at ${maskUrl(RABBIT_MANAGEMENT_URL)}: `);
    expect(plan.stdout).toMatch(/: \d+ to create, 0 to update/);
    expect(plan.stdout).not.toContain("guest:guest");
    const dry = await mqa(
      "topology",
      "apply",
      specFile,
      "--broker",
      RABBIT_MANAGEMENT_URL,
      "--dry-run",
      "--json",
    );
    expect(JSON.parse(dry.stdout).results[0]).toMatchObject({ dryRun: true, rollbackFile: null });
    expect((await mqa("topology", "diff", specFile, "--broker", RABBIT_MANAGEMENT_URL)).code).toBe(1);

    const apply = await mqa("topology", "apply", specFile, "--broker", RABBIT_MANAGEMENT_URL);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/applied \d+ changes; 0 unchanged/);
    expect(apply.stdout).toMatch(/rollback file: \.mqa\/rollback-.*-rabbitmq\.json/);
    const clean = await mqa("topology", "diff", specFile, "--broker", RABBIT_MANAGEMENT_URL, "--json");
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ drift: false });

    await new RabbitManagementApi(RABBIT_MANAGEMENT_URL).deleteQueue(vhost, "orders.billing.dlq");
    const drift = await mqa("topology", "diff", specFile, "--broker", RABBIT_MANAGEMENT_URL);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain(`+ queue ${vhost}/orders.billing.dlq`);
  });

  it("export, import and diagram", async () => {
    // The topology to import back: this test's spec, applied.
    expect((await mqa("topology", "apply", specFile, "--broker", RABBIT_MANAGEMENT_URL)).code).toBe(0);
    const defs = await mqa("topology", "export", specFile, "--format", "rabbitmq-definitions");
    expect(JSON.parse(defs.stdout).queues).toHaveLength(13);
    const imported = await mqa("topology", "import", RABBIT_MANAGEMENT_URL, "--vhost", vhost);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("name: orders.billing");
    const diagram = await mqa("topology", "diagram", specFile, "--format", "mermaid");
    expect(diagram.stdout.startsWith("flowchart LR")).toBe(true);
  });

  it("a malformed spec, or a missing password variable, applies nothing", async () => {
    const ghost = uniqueName("mqa-cli-ghost");
    ghosts.push(ghost); // removed after the test, should it exist after all
    const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);
    const vhostExists = async (): Promise<boolean> =>
      (await api.definitions()).vhosts.some((v) => v.name === ghost);
    const bad = join(dir, "malformed.yaml");
    await writeFile(
      bad,
      `version: 1\nrabbitmq:\n  vhosts: [{ name: ${ghost} }]\n  queues: [{ name: q, vhost: ${ghost}, typo: 1 }]\n`,
    );
    const r = await mqa("topology", "apply", bad, "--broker", RABBIT_MANAGEMENT_URL);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("rabbitmq.queues[0].typo (line 4): unknown key");
    const noPassword = join(dir, "no-password.yaml");
    await writeFile(
      noPassword,
      `version: 1\nrabbitmq:\n  vhosts: [{ name: ${ghost} }]\n  users: [{ name: ${ghost}, passwordFromEnv: MQA_TEST_UNSET_PASSWORD_VAR }]\n`,
    );
    const p = await mqa("topology", "apply", noPassword, "--broker", RABBIT_MANAGEMENT_URL);
    expect(p.code).not.toBe(0);
    expect(p.stderr).toContain("MQA_TEST_UNSET_PASSWORD_VAR is not set");
    expect(await vhostExists()).toBe(false);
  });

  it("an AMQP URL gets a hint, and its password is never printed", async () => {
    const r = await mqa("topology", "plan", specFile, "--broker", "amqp://app:topsecret@127.0.0.1:5672");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/management API/);
    expect(r.stderr).not.toContain("topsecret");
  });
});
