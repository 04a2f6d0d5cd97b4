/* global URL */
// Regenerate docs/rules.md from the rule definitions (run via `npm run docs:rules`, after the build).
import { writeFile } from "node:fs/promises";
import * as prettier from "prettier";
import { renderRulesDoc } from "../dist/audit/rules-doc.js";

const path = new URL("../docs/rules.md", import.meta.url);
const options = (await prettier.resolveConfig(path)) ?? {};
await writeFile(path, await prettier.format(renderRulesDoc(), { ...options, parser: "markdown" }));
console.log("wrote docs/rules.md");
