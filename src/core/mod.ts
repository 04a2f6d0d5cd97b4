/** Public face of the core: contracts, message model, errors, codecs. Imports no broker client. */
export * from "./errors.js";
export * from "./message.js";
export * from "./transport.js";
export * from "./dead-letter-queues.js";
export * from "./codec.js";
export * from "./options.js";
export * from "./redact.js";
export * from "./backoff.js";
export { newMessageId } from "./ids.js";
export { sleep } from "./sleep.js";
export { shutdownOnSignals, type ShutdownOptions, type Stoppable } from "./shutdown.js";
