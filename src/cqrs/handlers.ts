/**
 * Typed handler registration on a Router: `onCommand` binds the one handler of a command (its group is the
 * catalog's `commandGroup`), `onEvent` binds a subscriber group to an event. Each is one `router.handle` with
 * the catalog's topic and schema, so decoding, validation (`invalid-payload` dead letters), retries, timeouts
 * and shutdown are the Router's, unchanged.
 */
import type { z } from "zod";
import type { Route, RouteNames, Router } from "../core/router.js";
import { InvalidOptionsError } from "../core/errors.js";
import type { MessageCatalog, MessageSchemas, PayloadOut } from "./catalog.js";
import { CqrsContext } from "./context.js";

/** Route settings a command or event handler may change; topic, group and schema come from the catalog. */
export type HandlerSettings = Pick<Route<unknown>, "prefetch" | "middleware" | "handlerTimeoutMs">;

/** A handler of message `N`: the typed payload and the {@link CqrsContext}. */
export type MessageHandler<C extends MessageSchemas, E extends MessageSchemas, P> = (
  payload: P,
  ctx: CqrsContext<C, E>,
) => Promise<void> | void;

/** What each router has bound already (topic/group), so one command cannot get two handlers in one router. */
const bound = new WeakMap<object, Set<string>>();

/** Register `topic`/`group` on `router` with `register`, refusing a second registration of the same pair. */
function claim(router: object, topic: string, group: string, what: string, register: () => void): void {
  let seen = bound.get(router);
  if (!seen) bound.set(router, (seen = new Set()));
  const key = `${topic}\u0000${group}`;
  if (seen.has(key))
    throw new InvalidOptionsError(`${what} has a handler on this router already: one handler per ${what}`, {
      details: { topic, group },
    });
  register(); // throws for a started router: then nothing is claimed
  seen.add(key);
}

/**
 * Register the handler of command `name` on `router` (group: the catalog's `commandGroup`). Run the same
 * registration in several processes to share the work; a second one on the same router is refused.
 */
export function onCommand<
  C extends MessageSchemas,
  E extends MessageSchemas,
  N extends keyof C & string,
  R extends RouteNames = RouteNames,
>(
  router: Router<R>,
  catalog: MessageCatalog<C, E>,
  name: N,
  handler: MessageHandler<C, E, PayloadOut<C, N>>,
  settings: HandlerSettings = {},
): Router<R> {
  const topic = catalog.commandTopic(name);
  // The catalog's topics are strings; a spec-typed router's transport checks them against the spec at start.
  claim(router, topic, catalog.commandGroup, `command ${name}`, () =>
    (router as unknown as Router).handle<PayloadOut<C, N>, string>({
      ...settings,
      topic,
      group: catalog.commandGroup,
      schema: catalog.schema("command", name) as z.ZodType<PayloadOut<C, N>>,
      handler: (payload, ctx) => handler(payload, new CqrsContext(catalog, ctx)),
    }),
  );
  return router;
}

/**
 * Subscribe group `group` to event `name` on `router`. Every group gets every event published after it was
 * declared; consumers of one group share them. A group subscribed twice on the same router is refused.
 */
export function onEvent<
  C extends MessageSchemas,
  E extends MessageSchemas,
  N extends keyof E & string,
  R extends RouteNames = RouteNames,
>(
  router: Router<R>,
  catalog: MessageCatalog<C, E>,
  name: N,
  group: string,
  handler: MessageHandler<C, E, PayloadOut<E, N>>,
  settings: HandlerSettings = {},
): Router<R> {
  const topic = catalog.eventTopic(name);
  if (typeof group !== "string" || group.length === 0)
    throw new InvalidOptionsError(`onEvent(${name}): the group must be a non-empty string`);
  claim(router, topic, group, `event ${name} in group ${group}`, () =>
    (router as unknown as Router).handle<PayloadOut<E, N>, string>({
      ...settings,
      topic,
      group,
      schema: catalog.schema("event", name) as z.ZodType<PayloadOut<E, N>>,
      handler: (payload, ctx) => handler(payload, new CqrsContext(catalog, ctx)),
    }),
  );
  return router;
}
