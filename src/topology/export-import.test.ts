import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { specToDefinitions } from "./expand-rabbit.js";
import { definitionsToSpec } from "./import-definitions.js";
import { planTopology } from "./live.js";
import { loadSpecFile, validateSpec } from "../spec/parse.js";
import { RabbitManagementApi } from "../brokers/management-api.js";
import type { RabbitDefinitions } from "../brokers/rabbit-definitions.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { RABBIT_MANAGEMENT_URL, cleanupRabbit, uniqueName } from "../../test/support/topology.js";

/** `rabbitmqctl import_definitions` with the JSON on stdin (rabbitmqctl may run as another user, who cannot read our temp files). */
function importDefinitions(json: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // MQA_RABBITMQCTL_NODE points rabbitmqctl at the broker the management URL belongs to, if not the default one.
    const node = process.env["MQA_RABBITMQCTL_NODE"];
    const args = [...(node ? ["-n", node] : []), "import_definitions"];
    const child = spawn("rabbitmqctl", args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`rabbitmqctl exited ${code}: ${output}`)),
    );
    child.stdin.end(json);
  });
}
/** Each test's own vhost and user, removed after it. */
let vhost: string;
let user: string;
const env = { SHOP_APP_PASSWORD: "export-test-pw" };

/** The example spec, moved to a vhost and user of this test only. */
async function uniqueShopSpec() {
  const text = JSON.stringify(await loadSpecFile(join(import.meta.dirname, "fixtures/shop.yaml")))
    .replaceAll('"vhost":"shop"', `"vhost":"${vhost}"`)
    .replaceAll('"name":"shop"', `"name":"${vhost}"`)
    .replaceAll('"shop-app"', `"${user}"`)
    .replace('"rabbitmq":{', '"rabbitmq":{"maxRetryDelay":"1s",');
  return validateSpec(JSON.parse(text));
}

/** Load the example spec (moved to this test's vhost and user) onto the broker with `rabbitmqctl import_definitions`. */
async function importShopSpec(): Promise<{ spec: TopologySpec; defs: RabbitDefinitions; output: string }> {
  const spec = await uniqueShopSpec();
  const defs = specToDefinitions(spec, { env });
  const output = await importDefinitions(JSON.stringify(defs));
  return { spec, defs, output };
}

beforeEach(() => {
  vhost = uniqueName("mqa-export");
  user = uniqueName("mqa-export-user");
});
afterEach(async () => {
  await cleanupRabbit([vhost], [user]);
});

describe("export to definitions.json", () => {
  it("is accepted by the real `rabbitmqctl import_definitions`, and the broker then matches the spec", async () => {
    const { spec, defs, output } = await importShopSpec();
    expect(defs.users[0]?.password_hash).not.toContain("export-test-pw");
    expect(output).toMatch(/import/i);

    const plan = await planTopology(spec, RABBIT_MANAGEMENT_URL, { env });
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toBeGreaterThan(20);
  });

  it("import turns the live broker back into a spec that plans no change", async () => {
    await importShopSpec();
    const live = await new RabbitManagementApi(RABBIT_MANAGEMENT_URL).definitions();
    const { spec, warnings } = definitionsToSpec(live, { vhosts: [vhost] });
    expect(warnings).toEqual([]);
    expect(spec.rabbitmq?.users?.map((u) => u.name)).toEqual([user]);
    expect(JSON.stringify(spec)).not.toContain("export-test-pw");
    const plan = await planTopology(spec, RABBIT_MANAGEMENT_URL);
    expect(plan.changes).toEqual([]);
  });
});
