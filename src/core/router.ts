/**
 * The Router binds typed handlers to topics and groups, runs each delivery through middleware and
 * settles it: a handler that returns acks its message; errors are turned into retries or dead letters
 * by middleware; a payload that does not decode or validate is dead-lettered with reason
 * `invalid-payload` and never reaches the handler.
 */
import { z } from "zod";
import type { Logger } from "pino";
import { pino } from "pino";
import type { Codec } from "./codec.js";
import { codecFor } from "./codec.js";
import { MessageContext } from "./context.js";
import type { Handler, Middleware } from "./context.js";
import { InvalidPayloadError, MqaError, summarizeError } from "./errors.js";
import { formatIssues, parseOptions } from "./options.js";
import type { Subscription, Transport } from "./transport.js";

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
}

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
  handler: z.function(),
});

/**
 * Routes deliveries from a transport to typed handlers through middleware. `Router<SpecNames<typeof spec>>`
 * (with a spec from `defineTopology`) accepts only the spec's topics and, for each, its groups, at compile time.
 */
export class Router<Names extends RouteNames = RouteNames> {
  private readonly routes: Array<Route<unknown>> = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly logger: Logger;
  private started = false;

  constructor(
    readonly transport: Transport,
    private readonly options: RouterOptions = {},
  ) {
    this.logger = options.logger ?? pino({ level: "silent" });
  }

  /** Register a handler. Call before {@link start}. */
  handle<T, Topic extends Names["topic"]>(
    route: Route<T> & { topic: Topic; group: GroupOf<Names, Topic> },
  ): this {
    parseOptions(routeShape, route, `route ${route.topic ?? "?"}/${route.group ?? "?"}`);
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

  /** Graceful stop: every subscription stops taking work and waits for in-flight handlers. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const subs = this.subscriptions.splice(0);
    await Promise.all(subs.map((s) => s.close(options)));
  }

  private async subscribeRoute(route: Route<unknown>): Promise<Subscription> {
    const chain = compose([...(this.options.middleware ?? []), ...(route.middleware ?? [])], terminal(route));
    const log = this.logger.child({ topic: route.topic, group: route.group });
    const handle = new SubscriptionHandle(route.topic, route.group);
    const sub = await this.transport.subscribe(
      route.topic,
      route.group,
      async (delivery) => {
        const ctx = new MessageContext<unknown>(delivery, handle, this.transport, log);
        try {
          await chain(ctx);
          if (!delivery.settled) await delivery.ack();
        } catch (err) {
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
        }
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
