// Writes schema/mqa-topology.schema.json from the zod schema (run `npm run schema:topology` after a build).
import { writeFile } from "node:fs/promises";
import { fileURLToPath, URL } from "node:url";
import prettier from "prettier";
import { TOPOLOGY_SCHEMA_PATH, topologyJsonSchema } from "../dist/topology/json-schema.js";

const target = fileURLToPath(new URL(`../${TOPOLOGY_SCHEMA_PATH}`, import.meta.url));
const config = (await prettier.resolveConfig(target)) ?? {};
const text = await prettier.format(JSON.stringify(topologyJsonSchema()), { ...config, parser: "json" });
await writeFile(target, text);
console.log(`wrote ${TOPOLOGY_SCHEMA_PATH}`);
