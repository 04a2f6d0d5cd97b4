/** mqa: reliable messaging on RabbitMQ and Redis Streams. */
export * from "./core/mod.js";
export {
  Router,
  compose,
  DEFAULT_HANDLER_TIMEOUT_MS,
  RETRY_REASON_HEADER,
  TIMEOUT_RETRY_ATTEMPTS,
  type Route,
  type RouterOptions,
  type RouteNames,
  type GroupOf,
} from "./core/router.js";
export { MessageContext, type Handler, type Middleware } from "./core/context.js";
export * from "./middleware/mod.js";
export { createLogger, silentLogger, type Logger, type CreateLoggerOptions } from "./log/logger.js";
export { MemoryTransport, createMemoryTransport, MemoryBroker } from "./transports/memory/mod.js";
export { createTransport, type ConnectOptions } from "./connect.js";
export {
  defineTopology,
  loadSpecFile,
  type DefinedTopology,
  type SpecNames,
  type SpecTopic,
  type TopologySpec,
  type TopologySpecInput,
} from "./spec/mod.js";
export * as dlq from "./dlq/mod.js";
