/**
 * `mqa/cqrs`: a typed face over the Router and the transports for commands and events — a catalog of
 * message names with zod schemas, a command bus (one handler per command), an event bus (any number of
 * subscriber groups), and handlers whose follow-up messages carry correlation and causation ids.
 * See docs/cqrs.md.
 */
export {
  defineMessages,
  MessageCatalog,
  DEFAULT_COMMAND_GROUP,
  DEFAULT_PREFIX,
  MESSAGE_KIND_HEADER,
  MESSAGE_NAME_HEADER,
  type MessageDefinitions,
  type MessageKind,
  type MessageSchemas,
  type PayloadIn,
  type PayloadOut,
} from "./catalog.js";
export { CommandBus, EventBus } from "./buses.js";
export { CqrsContext, type FollowUpOptions } from "./context.js";
export { onCommand, onEvent, type HandlerSettings, type MessageHandler } from "./handlers.js";
export type { SendOptions } from "./send.js";
