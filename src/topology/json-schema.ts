/** The JSON Schema of the topology spec, generated from the zod schema so the two cannot drift. */
import { z } from "zod";
import { topologySpec } from "../spec/schema/spec.js";

/** Where the committed schema lives, relative to the package root. */
export const TOPOLOGY_SCHEMA_PATH = "schema/mqa-topology.schema.json";

/** JSON Schema (draft 2020-12) describing what a spec file may contain, for editors' completion and checks. */
export function topologyJsonSchema(): Record<string, unknown> {
  // `input`: describe what people write (defaults optional), not what parsing returns.
  const schema = z.toJSONSchema(topologySpec, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: "https://github.com/mqa/mqa/schema/mqa-topology.schema.json",
    title: "mqa topology spec",
    description:
      "RabbitMQ vhosts, exchanges, queues, bindings, policies, users and permissions, and Redis streams and groups, as mqa expects them. Cross-references are checked by `mqa topology validate`.",
  };
}
