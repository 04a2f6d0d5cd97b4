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
export {
  defineMessageSaga,
  ensureMessageSagaTable,
  replyToSaga,
  SagaCoordinator,
  SAGA_HEADER,
  SAGA_REPLY_TO_HEADER,
  SAGA_STEP_HEADER,
  SAGA_TOKEN_HEADER,
} from "./message-saga.js";
export type {
  CommandStep,
  CommandStepContext,
  MessageSagaDefinition,
  MessageSagaState,
  MessageSagaStatus,
  SagaCommand,
  SagaCoordinatorOptions,
  SagaEvent,
  SagaReply,
} from "./message-saga.js";
