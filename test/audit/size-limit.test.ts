/** The audit refuses oversized files before parsing them: specs at the spec limit, definitions exports at 8 ×. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFile } from "../../src/audit/sources/load.js";

describe("audit file size limits", () => {
  let dir: string;
  const saved = process.env["MQA_MAX_SPEC_BYTES"];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mqa-audit-size-"));
    process.env["MQA_MAX_SPEC_BYTES"] = "1000";
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env["MQA_MAX_SPEC_BYTES"];
    else process.env["MQA_MAX_SPEC_BYTES"] = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a spec over the limit without parsing it", async () => {
    const file = join(dir, "big.yaml");
    await writeFile(file, `version: 1\n# ${"x".repeat(2000)}\n: : broken yaml`);
    await expect(loadFile(file)).rejects.toThrow(/the file is .* over the limit .*nothing was parsed/);
  });

  it("reads a definitions export up to 8 times the limit, and no further", async () => {
    const defs = (queues: number): string =>
      JSON.stringify({
        rabbit_version: "4.2.3",
        vhosts: [{ name: "/" }],
        queues: Array.from({ length: queues }, (_, i) => ({
          name: `q${i}`,
          vhost: "/",
          durable: true,
          auto_delete: false,
          arguments: {},
        })),
      });
    await writeFile(join(dir, "defs.json"), defs(40)); // ~3 KB: over the spec limit, under 8 ×
    const model = await loadFile(join(dir, "defs.json"));
    expect(model.rabbit?.definitions.queues).toHaveLength(40);
    await writeFile(join(dir, "huge.json"), defs(200)); // ~15 KB
    await expect(loadFile(join(dir, "huge.json"))).rejects.toThrow(/definitions file is .* over the limit/);
  });
});
