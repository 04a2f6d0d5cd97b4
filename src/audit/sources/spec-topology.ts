/**
 * The topology module as the audit's {@link SpecCompiler}: validate the spec with its schema, then expand
 * it exactly as `mqa topology export` would, so a spec is audited as the broker it would produce.
 */
import { specToDefinitions, specToRedisModel, validateSpec } from "../../topology/mod.js";
import type { SpecCompiler } from "./spec.js";

export const topologySpecCompiler: SpecCompiler = {
  compile(document, source) {
    const spec = validateSpec(document, source);
    return {
      definitions: specToDefinitions(spec, { requirePasswords: false }),
      redis: specToRedisModel(spec),
    };
  },
};
