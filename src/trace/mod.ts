/**
 * The view of one business transaction across services (`mqa trace`): the messages of a correlation id read
 * from the topics' history, arranged by causation id into a tree. See docs/choreography.md.
 */
export {
  collectTransaction,
  type CollectOptions,
  type Collected,
  type TopicRead,
  type TracedMessage,
} from "./collect.js";
export {
  buildTransactionTree,
  decodePayload,
  type OrphanReason,
  type TraceNode,
  type TransactionTree,
} from "./tree.js";
export { formatTransactionTree, type FormatOptions } from "./format.js";
