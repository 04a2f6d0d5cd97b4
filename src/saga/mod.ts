/** `mqa/saga`: durable sagas on PostgreSQL — steps with compensations, resumed after a crash (docs/saga.md). */
export { defineSaga, ensureSagaTable, SagaRunner } from "./saga.js";
export type {
  SagaDefinition,
  SagaRunnerOptions,
  SagaState,
  SagaStatus,
  SagaStep,
  StepContext,
} from "./saga.js";
