/** Errors raised by topology: every one is an `MqaError` with a stable code. */

export { InvalidSpecError, type SpecIssue } from "../spec/errors.js";

/** The broker admin layer's errors (src/brokers/errors.ts), which topology raises too. */
export { BrokerApiError, UnsafeChangeError, type BrokerApiErrorCode } from "../brokers/errors.js";
