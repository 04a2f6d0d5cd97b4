/**
 * `mqa/projection`: read models in PostgreSQL fed by a topic's events, checkpoint and rows in one
 * transaction, rebuilt from history into a new table while the old one serves (docs/projections.md).
 */
export { Projection } from "./projection.js";
export type { ProjectionDefinition, ProjectionOptions, ProjectionProgress } from "./projection.js";
