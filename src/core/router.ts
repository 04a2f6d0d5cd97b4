/**
 * The Router binds typed handlers to topics and groups, runs each delivery through middleware and
 * settles it: a handler that returns acks its message; errors are turned into retries or dead letters
 * by middleware; a payload that does not decode or validate is dead-lettered with reason
 * `invalid-payload` and never reaches the handler. A handler that runs longer than `handlerTimeoutMs`
 * (60 s unless set) fails with `handler-timeout`, which frees its delivery and ends in a retry. A route
 * with `delivery: "at-most-once"` is acked before its handler runs and never retried (./at-most-once.ts).
 */
import { z } from "zod";
import type { Logger } from "pino";
import { pino } from "pino";
import type { Codec } from "./codec.js";
import { backoffDelay } from "./backoff.js";
import { codecFor } from "./codec.js";
import { MessageContext, runWithTimeout } from "./context.js";
import type { Handler, Middleware } from "./context.js";
import { ClosedError, InvalidPayloadError, MqaError, summarizeError } from "./errors.js";
import { Headers, type Message } from "./message.js";
import { formatIssues, parseOptions } from "./options.js";
import { atMostOnce, Slots } from "./at-most-once.js";
import { KeyLanes, messageKey, type KeyOf } from "./per-key.js";
import type { Delivery, Subscription, Transport } from "./transport.js";

/** One handler registration. */
export interface Route<T> {
  topic: string;
  group: string;
  /** Validates (and types) the decoded payload. Failing messages are dead-lettered as `invalid-payload`. */
  schema?: z.ZodType<T>;
  /** Decoder for every message of this route, whatever its content type. @defaultValue chosen per message by {@link codecFor} */
  codec?: Codec<unknown>;
  /**
   * Content type to assume for a message that carries none (other producers often set none): its codec
   * decodes such messages. @defaultValue "application/json"
   */
  contentType?: string;
  /** Deliveries held at once = handler concurrency. @defaultValue 10 */
  prefetch?: number;
  /** Middleware for this route only, applied inside the router-wide middleware. */
  middleware?: Middleware[];
  /** Build a dead-letter queue for the group. @defaultValue true */
  deadLetter?: boolean;
  /**
   * Longest a handler (with decoding and validation) may run; see {@link RouterOptions.handlerTimeoutMs}.
   * `false` or `0` turns the timeout off for this route. @defaultValue the router's `handlerTimeoutMs`
   */
  handlerTimeoutMs?: number | false;
  /**
   * Delivery guarantee of this route. `"at-least-once"`: a message is acked after its handler succeeded, and
   * retried or dead-lettered when it fails, so it may run more than once but is never lost. `"at-most-once"`:
   * for flows where a duplicate is worse than a loss (telemetry, presence): the message is acked *before* the
   * handler runs and never retried nor dead-lettered; a failing handler's message is gone (logged, and passed
   * to {@link Route.onDropped}), and a redelivered copy (attempt > 1: the broker may not have seen the ack of
   * a consumer that died) is dropped unhandled. @defaultValue "at-least-once"
   */
  delivery?: "at-least-once" | "at-most-once";
  /**
   * `"per-key"`: handlers of messages that share a key never overlap and run in delivery order, while
   * different keys run concurrently up to `prefetch`. A message's turn ends once it is settled (acked,
   * retried or dead-lettered); a retried message goes back to the broker and the key's later messages go on
   * without it, so it comes back after them. Messages without a key are not ordered. Order across consumers
   * needs one consumer per key at a time: partitions (docs/ordering.md). @defaultValue "none"
   */
  order?: "none" | "per-key";
  /** With `order: "per-key"`: the key to order by. @defaultValue the message's `key` */
  keyOf?: KeyOf;
  /** With `delivery: "at-most-once"`: called for each message dropped, with why (a handler error, a redelivery). */
  onDropped?: (message: Message, reason: { error?: unknown; redelivered?: boolean }) => void;
  handler: (payload: T, ctx: MessageContext<T>) => Promise<void> | void;
}

/** The topic and group names a router accepts: any, or a spec's (`SpecNames<typeof spec>`). */
export interface RouteNames {
  topic: string;
  group: string;
}

/** The groups `Names` allows for `Topic`; any string when names are not constrained. */
export type GroupOf<Names extends RouteNames, Topic extends string> = string extends Names["topic"]
  ? string
  : Extract<Names, { topic: Topic }>["group"];

export interface RouterOptions {
  /** Router-wide middleware, outermost first. */
  middleware?: Middleware[];
  logger?: Logger;
  /**
   * Longest a handler may run before it fails with `handler-timeout` (retryable): its `ctx.signal` is
   * aborted and its delivery freed, so a hung handler cannot hold its prefetch slot (and its message) until
   * shutdown. Enforced around the terminal step, inside all middleware, so `retry()` sees the timeout like
   * any failure; when no middleware handles it the router retries the message with backoff
   * ({@link TIMEOUT_RETRY_ATTEMPTS} attempts, then dead-letters it as `handler-timeout`). Routes may set
   * their own. `false` or `0` turns it off (a handler may then run forever). @defaultValue 60000
   */
  handlerTimeoutMs?: number | false;
}

/** The handler timeout when neither the route nor the router sets one, ms. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;
/**
 * Attempts after which a message whose handler keeps timing out (and no middleware handles the timeout) is
 * dead-lettered with reason `handler-timeout` instead of retried again.
 */
export const TIMEOUT_RETRY_ATTEMPTS = 5;
/** Header the router sets on a retry it makes itself, naming why (`handler-timeout`). */
export const RETRY_REASON_HEADER = "x-mqa-retry-reason";

/** A handler timeout setting: positive ms, or `false` / `0` for none. */
const handlerTimeoutShape = z.union([z.literal(false), z.number().int().min(0).max(2_147_483_647)]);

const routerShape = z.strictObject({
  middleware: z.array(z.function()).optional(),
  logger: z.custom<Logger>((v) => typeof v === "object" && v !== null, "expected a pino logger").optional(),
  handlerTimeoutMs: handlerTimeoutShape.optional(),
});

const routeShape = z.strictObject({
  topic: z.string().min(1),
  group: z.string().min(1),
  schema: z.custom<z.ZodType>((v) => v instanceof z.ZodType, "expected a zod schema").optional(),
  codec: z
    .custom<Codec>((v) => typeof v === "object" && v !== null && "decode" in v, "expected a codec")
    .optional(),
  contentType: z.string().min(1).optional(),
  prefetch: z.number().int().min(1).max(65535).optional(),
  middleware: z.array(z.function()).optional(),
  deadLetter: z.boolean().optional(),
  handlerTimeoutMs: handlerTimeoutShape.optional(),
  delivery: z.enum(["at-least-once", "at-most-once"]).optional(),
  onDropped: z.function().optional(),
  order: z.enum(["none", "per-key"]).optional(),
  keyOf: z.function().optional(),
  handler: z.function(),
});

/**
 * Routes deliveries from a transport to typed handlers through middleware. `Router<SpecNames<typeof spec>>`
 * (with a spec from `defineTopology`) accepts only the spec's topics and, for each, its groups, at compile time.
 */
export class Router<Names extends RouteNames = RouteNames> {
  private readonly routes: Array<Route<unknown>> = [];
  private readonly subscriptions: Subscription[] = [];
  /** Contexts whose handler is running, so a stop that runs out of time can tell them to give up. */
  private readonly running = new Set<MessageContext<unknown>>();
  private readonly logger: Logger;
  private started = false;
  /** Set when a stop ran out of time: deliveries still waiting for their key's turn are given back unhandled. */
  private givingUp = false;

  constructor(
    readonly transport: Transport,
    private readonly options: RouterOptions = {},
  ) {
    parseOptions(routerShape, options, "router options");
    this.logger = options.logger ?? pino({ level: "silent" });
  }

  /** Register a handler. Call before {@link start}. */
  handle<T, Topic extends Names["topic"]>(
    route: Route<T> & { topic: Topic; group: GroupOf<Names, Topic> },
  ): this {
    parseOptions(routeShape, route, `route ${route.topic ?? "?"}/${route.group ?? "?"}`);
    if (route.keyOf !== undefined && route.order !== "per-key")
      throw new MqaError(
        "invalid-options",
        `route ${route.topic}/${route.group}: keyOf needs order: "per-key" (it names the key to order by)`,
      );
    if (this.started) throw new MqaError("invalid-options", "Router.handle() must be called before start()");
    this.routes.push(route as Route<unknown>);
    return this;
  }

  /** Declare every route's topic and group, then subscribe. */
  async start(): Promise<void> {
    this.started = true;
    await this.transport.connect();
    for (const route of this.routes) {
      await this.transport.declare({
        topic: route.topic,
        group: route.group,
        deadLetter: route.deadLetter ?? true,
      });
    }
    for (const route of this.routes) {
      this.subscriptions.push(await this.subscribeRoute(route));
    }
  }

  /**
   * Graceful stop: every subscription stops taking work and waits for in-flight handlers. A handler still
   * running when `timeoutMs` passes (or when the transport's own close gives up on it) has its `ctx.signal`
   * aborted with a `closed` error: its message goes back to the broker unacknowledged, so a cooperative
   * handler should stop its work rather than finish it for nobody.
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const subs = this.subscriptions.splice(0);
    const cancel = (): void => {
      this.givingUp = true;
      for (const ctx of this.running)
        ctx.abort(
          new ClosedError("the router stopped while this handler ran; its message goes back to the broker"),
        );
    };
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(cancel, options.timeoutMs);
    try {
      await Promise.all(subs.map((s) => s.close(options)));
    } finally {
      clearTimeout(timer);
      cancel();
    }
  }

  private async subscribeRoute(route: Route<unknown>): Promise<Subscription> {
    const timeoutMs = route.handlerTimeoutMs ?? this.options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    const chain = compose(
      [...(this.options.middleware ?? []), ...(route.middleware ?? [])],
      timeoutMs === false || timeoutMs === 0 ? terminal(route) : timed(terminal(route), timeoutMs),
    );
    const log = this.logger.child({ topic: route.topic, group: route.group });
    const handle = new SubscriptionHandle(route.topic, route.group);
    // At-most-once acks before handling, which frees the transport's prefetch slot: the route keeps its own.
    const slots = route.delivery === "at-most-once" ? new Slots(route.prefetch ?? 10) : undefined;
    const handleOne = async (delivery: Delivery): Promise<void> => {
      if (slots !== undefined)
        return atMostOnce(
          route,
          delivery,
          chain,
          log,
          this.running,
          slots,
          (d) => new MessageContext(d, handle, this.transport, log),
        );
      const ctx = new MessageContext<unknown>(delivery, handle, this.transport, log);
      this.running.add(ctx);
      try {
        await chain(ctx);
        if (!delivery.settled) await delivery.ack();
      } catch (err) {
        // Stopped while it ran: the transport has given the message back (or will); settling it now would
        // dead-letter a message that never really failed.
        if (!delivery.settled && ctx.signal.aborted && MqaError.is(ctx.signal.reason, "closed")) {
          log.info(
            { messageId: delivery.message.id },
            "handler cancelled by stop; message left to the broker",
          );
          return;
        }
        // A handler that timed out is retried (with backoff, a few times): it may well succeed next time.
        if (!delivery.settled && MqaError.is(err, "handler-timeout")) {
          await retryAfterTimeout(ctx, err);
          return;
        }
        // Nothing in the chain handled the error: never loop, never drop. Dead-letter it with its reason.
        if (!delivery.settled) {
          const isPayload = MqaError.is(err, "invalid-payload");
          await delivery.deadLetter({
            reason: isPayload
              ? "invalid-payload"
              : MqaError.is(err, "unrecoverable")
                ? "unrecoverable"
                : "handler-error",
            error: summarizeError(err),
            details: isPayload ? (err as MqaError).details : undefined,
          });
        }
      } finally {
        this.running.delete(ctx);
      }
    };
    const lanes = route.order === "per-key" ? new KeyLanes() : undefined;
    const keyOf = route.keyOf ?? messageKey;
    const sub = await this.transport.subscribe(
      route.topic,
      route.group,
      async (delivery) => {
        if (lanes === undefined) return handleOne(delivery);
        let key: string | undefined;
        try {
          key = keyOf(delivery.message);
        } catch (err) {
          // A key function that fails would fail the same way on every delivery: never loop on it.
          log.warn(
            { messageId: delivery.message.id, err: summarizeError(err) },
            "keyOf failed; dead-lettered",
          );
          await delivery.deadLetter({
            reason: "handler-error",
            error: summarizeError(err),
            details: { step: "keyOf" },
          });
          return;
        }
        if (key === undefined) return handleOne(delivery);
        return lanes.run(key, () => {
          // Its turn came after a stop gave up: leave it unsettled, so the transport gives it back.
          if (this.givingUp) return Promise.resolve();
          return handleOne(delivery);
        });
      },
      { prefetch: route.prefetch ?? 10 },
    );
    await handle.attach(sub);
    return sub;
  }
}

/**
 * Deliveries can arrive before `subscribe` returns; middleware (the circuit breaker) may pause the
 * subscription from the very first one. This handle remembers such calls and applies them on attach.
 */
class SubscriptionHandle implements Subscription {
  private real: Subscription | undefined;
  private wantPaused = false;

  constructor(
    readonly topic: string,
    readonly group: string,
  ) {}

  async attach(real: Subscription): Promise<void> {
    this.real = real;
    if (this.wantPaused) await real.pause();
  }

  async pause(): Promise<void> {
    this.wantPaused = true;
    await this.real?.pause();
  }

  async resume(): Promise<void> {
    this.wantPaused = false;
    await this.real?.resume();
  }

  async close(options?: { timeoutMs?: number }): Promise<void> {
    await this.real?.close(options);
  }
}

/** Compose middleware around a handler; the first middleware is the outermost. */
export function compose(middleware: readonly Middleware[], handler: Handler<unknown>): Handler<unknown> {
  return middleware.reduceRight<Handler<unknown>>((next, mw) => mw(next), handler);
}

/** The terminal step bounded by the handler timeout (see {@link RouterOptions.handlerTimeoutMs}). */
function timed(step: Handler<unknown>, ms: number): Handler<unknown> {
  return (ctx) =>
    runWithTimeout(
      ctx,
      ms,
      "raise handlerTimeoutMs (on the route or the router) or make the handler faster",
      () => step(ctx),
    );
}

/**
 * A timeout nothing in the chain handled: retry with backoff and the reason in {@link RETRY_REASON_HEADER};
 * after {@link TIMEOUT_RETRY_ATTEMPTS} attempts, dead-letter it as `handler-timeout` (never a loop).
 */
async function retryAfterTimeout(ctx: MessageContext<unknown>, err: MqaError): Promise<void> {
  const attempt = ctx.message.attempt;
  const now = new Date().toISOString();
  const firstFailureAt = ctx.message.headers[Headers.firstFailureAt] ?? now;
  if (attempt >= TIMEOUT_RETRY_ATTEMPTS) {
    await ctx.delivery.deadLetter({
      reason: "handler-timeout",
      error: summarizeError(err),
      details: { attempt, timeoutMs: err.details?.timeoutMs },
      firstFailureAt: new Date(firstFailureAt),
      lastFailureAt: new Date(now),
    });
    return;
  }
  const delayMs = backoffDelay({ baseMs: 1_000, multiplier: 2, maxMs: 60_000, jitter: "full" }, attempt - 1);
  ctx.logger.warn(
    { messageId: ctx.message.id, attempt, nextAttemptInMs: delayMs, reason: "handler-timeout" },
    "handler timed out; retrying",
  );
  await ctx.delivery.retry({
    delayMs,
    headers: {
      [RETRY_REASON_HEADER]: "handler-timeout",
      [Headers.firstFailureAt]: firstFailureAt,
      [Headers.lastFailureAt]: now,
    },
  });
}

/** Decode, validate, then call the user's handler. */
function terminal(route: Route<unknown>): Handler<unknown> {
  return async (ctx) => {
    const codec = route.codec ?? codecFor(ctx.message.contentType, route.contentType);
    const decoded = codec.decode(ctx.message.payload); // throws InvalidPayloadError
    if (route.schema) {
      const result = route.schema.safeParse(decoded);
      if (!result.success) {
        const issues = formatIssues(result.error.issues);
        throw new InvalidPayloadError(
          `payload failed validation: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
          { details: { issues } },
        );
      }
      ctx.payload = result.data;
    } else {
      ctx.payload = decoded;
    }
    await route.handler(ctx.payload, ctx);
  };
}
