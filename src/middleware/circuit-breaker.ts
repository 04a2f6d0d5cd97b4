/**
 * Circuit breaker: when the share of failures over the last calls passes a threshold, the circuit
 * opens, consumption pauses (the subscription stops taking deliveries) and messages already held are
 * deferred without spending an attempt, so a downstream outage does not burn every message's retries
 * into the dead-letter queue. After `openMs` the circuit goes half-open and lets probes through; a
 * successful probe closes it, a failed one opens it again.
 *
 * Place it inside `retry()` so it sees handler failures before they are retried.
 *
 * Which subscriptions it pauses: those behind the calls in its window when it opens, and any other
 * that brings it a delivery while it is open or half-open (paused on that delivery). It forgets them all
 * when the circuit closes, so a long-lived breaker holds no subscription that has gone since.
 */
import { z } from "zod";
import type { Middleware } from "../core/context.js";
import { MqaError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import type { Subscription } from "../core/transport.js";

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Open when failures / calls in the window reach this ratio. @defaultValue 0.5 */
  failureRatio?: number;
  /** Do not judge before this many calls are in the window. @defaultValue 10 */
  minimumCalls?: number;
  /** Number of most recent calls considered. @defaultValue 20 */
  windowSize?: number;
  /** How long to stay open before probing, ms. @defaultValue 5000 */
  openMs?: number;
  /** Calls let through while half-open. @defaultValue 1 */
  halfOpenProbes?: number;
  /** Which errors count as downstream failures. @defaultValue all but invalid-payload and unrecoverable */
  isFailure?: (err: unknown) => boolean;
  /** Told about every transition. */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

const schema = z.strictObject({
  failureRatio: z.number().gt(0).max(1).default(0.5),
  minimumCalls: z.number().int().min(1).default(10),
  windowSize: z.number().int().min(1).default(20),
  openMs: z.number().int().min(1).default(5000),
  halfOpenProbes: z.number().int().min(1).default(1),
  isFailure: z.function().optional(),
  onStateChange: z.function().optional(),
});

/** A breaker shared by every delivery that passes through its middleware. */
export class CircuitBreaker {
  private stateValue: CircuitState = "closed";
  /** The last `windowSize` calls while closed, with the subscription each came from. */
  private outcomes: { failed: boolean; subscription: Subscription }[] = [];
  private probesInFlight = 0;
  private openedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Subscriptions paused (or to pause) while the circuit is not closed; emptied when it closes. */
  private readonly subscriptions = new Set<Subscription>();
  private readonly o: z.output<typeof schema>;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.o = parseOptions(schema, options, "circuit breaker options");
  }

  get state(): CircuitState {
    return this.stateValue;
  }

  /** Subscriptions the breaker currently keeps track of (0 whenever the circuit is closed). */
  get trackedSubscriptions(): number {
    return this.subscriptions.size;
  }

  /** The middleware; every use of it shares this breaker. */
  middleware(): Middleware {
    const isFailure =
      this.options.isFailure ??
      ((err: unknown) => !(MqaError.is(err, "invalid-payload") || MqaError.is(err, "unrecoverable")));
    return (next) => async (ctx) => {
      if (this.stateValue !== "closed") this.track(ctx.subscription);
      if (!this.admit()) {
        const delayMs = Math.max(1, this.openedAt + this.o.openMs - Date.now());
        ctx.logger.debug(
          { messageId: ctx.message.id, delayMs },
          "circuit open; deferring without spending an attempt",
        );
        await ctx.delivery.retry({ delayMs, countAttempt: false });
        return;
      }
      const probe = this.stateValue === "half-open";
      if (probe) this.probesInFlight++;
      try {
        await next(ctx);
        this.record(false, probe, ctx.subscription);
      } catch (err) {
        this.record(isFailure(err), probe, ctx.subscription);
        throw err;
      } finally {
        if (probe) this.probesInFlight--;
      }
    };
  }

  /** Stop timers (call when shutting down). */
  dispose(): void {
    clearTimeout(this.timer);
  }

  private admit(): boolean {
    if (this.stateValue === "closed") return true;
    if (this.stateValue === "open") return false;
    return this.probesInFlight < this.o.halfOpenProbes;
  }

  /** Remember a subscription while the circuit is not closed; one new to an open circuit pauses now. */
  private track(subscription: Subscription): void {
    if (this.subscriptions.has(subscription)) return;
    this.subscriptions.add(subscription);
    if (this.stateValue === "open") void subscription.pause().catch(() => undefined);
  }

  private record(failed: boolean, probe: boolean, subscription: Subscription): void {
    if (probe || this.stateValue === "half-open") {
      if (failed) this.open();
      else this.transition("closed");
      return;
    }
    if (this.stateValue !== "closed") return;
    this.outcomes.push({ failed, subscription });
    if (this.outcomes.length > this.o.windowSize) this.outcomes.shift();
    const failures = this.outcomes.filter((o) => o.failed).length;
    if (
      this.outcomes.length >= this.o.minimumCalls &&
      failures / this.outcomes.length >= this.o.failureRatio
    ) {
      this.open();
    }
  }

  private open(): void {
    this.openedAt = Date.now();
    for (const o of this.outcomes) this.subscriptions.add(o.subscription);
    this.transition("open");
    for (const s of this.subscriptions) void s.pause().catch(() => undefined);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.transition("half-open");
      for (const s of this.subscriptions) void s.resume().catch(() => undefined);
    }, this.o.openMs);
    this.timer.unref();
  }

  private transition(next: CircuitState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    if (next === "closed") {
      this.outcomes = [];
      this.subscriptions.clear();
    }
    this.options.onStateChange?.(next, previous);
  }
}

/** Shorthand: a new breaker's middleware. Keep the breaker itself if you need its state. */
export function circuitBreaker(options: CircuitBreakerOptions = {}): Middleware {
  return new CircuitBreaker(options).middleware();
}
