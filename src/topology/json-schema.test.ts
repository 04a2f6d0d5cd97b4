import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOPOLOGY_SCHEMA_PATH, topologyJsonSchema } from "./json-schema.js";

describe("topology JSON Schema", () => {
  it("the committed file equals the one generated from the zod schema (run `npm run schema:topology`)", async () => {
    const committed = JSON.parse(
      await readFile(join(import.meta.dirname, "../..", TOPOLOGY_SCHEMA_PATH), "utf8"),
    ) as unknown;
    expect(committed).toEqual(topologyJsonSchema());
  });

  it("rejects unknown keys everywhere and forbids plaintext passwords", () => {
    const text = JSON.stringify(topologyJsonSchema());
    expect(text).toContain('"additionalProperties":false');
    expect(text).not.toMatch(/"additionalProperties":true/);
    expect(text).toContain('"password":{"not":{}}');
  });
});
