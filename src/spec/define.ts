/**
 * A topology spec written in TypeScript keeps its names as types: `defineTopology({...})` validates the spec
 * like `mqa topology validate` (so a bad one fails at start-up with every problem's path), and
 * `SpecNames<typeof spec>` is the union of its `{ topic, group }` pairs, which a `Router<…>` checks routes
 * against at compile time. A spec loaded from a file at run time has no such types; its names are checked
 * when the transport declares them.
 */
import type { z } from "zod";
import { validateSpec } from "./parse.js";
import type { TopologySpec, topologySpec } from "./schema/spec.js";

/** A spec as written (before defaults). */
export type TopologySpecInput = z.input<typeof topologySpec>;

type GroupsOf<T, N extends string> = T extends { readonly groups?: readonly (infer G)[] }
  ? G extends { readonly name: infer GN extends string }
    ? { topic: N; group: GN }
    : never
  : never;

type PairsOf<T> = T extends { readonly name: infer N extends string } ? GroupsOf<T, N> : never;

type NamesWritten<S> =
  | (S extends { readonly rabbitmq?: { readonly topics?: readonly (infer T)[] } } ? PairsOf<T> : never)
  | (S extends { readonly redis?: { readonly streams?: readonly (infer T)[] } } ? PairsOf<T> : never);

/**
 * Every `{ topic, group }` pair of a spec: RabbitMQ topics with their groups, Redis streams with theirs. Takes
 * what `defineTopology` returned, or a spec literal's type.
 */
export type SpecNames<S> = S extends { readonly __names?: infer N } ? Exclude<N, undefined> : NamesWritten<S>;

/** Topic names of a spec. */
export type SpecTopic<S> = SpecNames<S> extends { topic: infer T extends string } ? T : never;

/** A validated spec that remembers the names it was written with. */
export type DefinedTopology<S> = TopologySpec & { readonly __names?: NamesWritten<S> };

/**
 * Validate a spec written in code and keep its topic and group names as types. Throws `InvalidSpecError`
 * listing every problem with its path.
 */
export function defineTopology<const S extends TopologySpecInput>(spec: S): DefinedTopology<S> {
  return validateSpec(spec, "(defineTopology)");
}
