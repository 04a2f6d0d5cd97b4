/** docs/rules.md is generated from the rule definitions; this fails when someone edits one and not the other. */
import { readFile } from "node:fs/promises";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { renderRulesDoc } from "../../src/audit/rules-doc.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";

describe("docs/rules.md", () => {
  it("equals the generated catalogue (run `npm run docs:rules` after changing a rule)", async () => {
    const path = new URL("../../docs/rules.md", import.meta.url);
    const options = (await prettier.resolveConfig(path)) ?? {};
    const generated = await prettier.format(renderRulesDoc(), { ...options, parser: "markdown" });
    expect(await readFile(path, "utf8")).toBe(generated);
    for (const r of ALL_RULES) expect(generated).toContain(`### ${r.id}`);
  });
});
