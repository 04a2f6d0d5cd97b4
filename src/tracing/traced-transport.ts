/**
 * Tracing for any transport: {@link withTracing} wraps a transport so that every publish starts a producer
 * span and writes its W3C trace context into the message headers, and every delivery runs inside a consumer
 * span whose parent is the context the message carries. Because the headers travel with the message, the
 * context survives everything the transports do with it: retries (the retried copy keeps its headers), dead
 * letters (`deadLetterHeaders` copies them), redrives (the copy keeps user headers) and the outbox (the row
 * stores them). Works the same on memory, RabbitMQ and Redis Streams: it only uses the Transport contract.
 */
import { watchSettlement } from "../core/watch-settlement.js";
import type { Context, Span, SpanContext, Tracer, TracerProvider } from "@opentelemetry/api";
import type { OutgoingMessage } from "../core/message.js";
import type { Delivery, PublishOptions, PublishReceipt, Transport } from "../core/transport.js";
import { messagingSystem, processAttributes, sendAttributes } from "./attributes.js";
import { loadOtelApi, type OtelApi } from "./otel.js";
import { parseTraceParent, traceHeaders, TRACEPARENT, TRACESTATE } from "./w3c.js";

/** Tracer name mqa's spans are reported under. */
export const TRACER_NAME = "mqa";

export interface TracingOptions {
  /** The `@opentelemetry/api` module. @defaultValue loaded with `import()`; tracing is off when it is missing */
  api?: OtelApi;
  /** Where spans go. @defaultValue the globally registered tracer provider */
  tracerProvider?: TracerProvider;
  /** `messaging.system` attribute. @defaultValue `rabbitmq` for amqp, else the transport's name */
  system?: string;
}

/** Marks a transport {@link withTracing} returned, so wrapping twice does not trace twice. */
const TRACED = Symbol.for("mqa.traced");

/**
 * `transport`, traced: producer spans on publish and consumer spans around each delivery, with W3C
 * `traceparent`/`tracestate` headers in between. Resolves to `transport` itself when `@opentelemetry/api`
 * is not installed. Everything else (declare, dead-letter queues, close, ...) goes straight to `transport`.
 */
export async function withTracing<T extends Transport>(
  transport: T,
  options: TracingOptions = {},
): Promise<T> {
  const api = options.api ?? (await loadOtelApi());
  if (api === undefined || (transport as { [TRACED]?: boolean })[TRACED]) return transport;
  const tracer = (options.tracerProvider ?? api.trace.getTracerProvider()).getTracer(TRACER_NAME);
  const system = options.system ?? messagingSystem(transport.name);
  const publish = tracedPublish(api, tracer, system, transport);
  const subscribe = tracedSubscribe(api, tracer, system, transport);
  return new Proxy(transport, {
    get(target, prop) {
      if (prop === TRACED) return true;
      if (prop === "publish") return publish;
      if (prop === "subscribe") return subscribe;
      // Bound to the transport itself: its methods may use private fields a proxy receiver does not have.
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The span context a message carries, as a remote parent; undefined when it carries none (or a bad one). */
export function carriedSpanContext(
  headers: Readonly<Record<string, string>> | undefined,
): SpanContext | undefined {
  const p = parseTraceParent(headers?.[TRACEPARENT], headers?.[TRACESTATE]);
  if (p === undefined) return undefined;
  return {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: p.traceFlags,
    isRemote: true,
    ...(p.traceState !== undefined ? { traceState: traceStateOf(p.traceState) } : {}),
  };
}

/** A minimal immutable TraceState over the raw header value (the API has no public constructor). */
function traceStateOf(raw: string): NonNullable<SpanContext["traceState"]> {
  const entries = raw.split(",").map((m) => {
    const i = m.indexOf("=");
    return [m.slice(0, i), m.slice(i + 1)] as const;
  });
  const make = (list: ReadonlyArray<readonly [string, string]>): NonNullable<SpanContext["traceState"]> => ({
    get: (key) => list.find(([k]) => k === key)?.[1],
    set: (key, value) => make([[key, value], ...list.filter(([k]) => k !== key)]),
    unset: (key) => make(list.filter(([k]) => k !== key)),
    serialize: () => list.map(([k, v]) => `${k}=${v}`).join(","),
  });
  return make(entries);
}

/** Headers carrying `span`'s context, or undefined when it has none worth sending. */
function contextHeaders(api: OtelApi, span: Span): Record<string, string> | undefined {
  const sc = span.spanContext();
  if (!api.trace.isSpanContextValid(sc)) return undefined;
  const state = sc.traceState?.serialize();
  return traceHeaders({
    traceId: sc.traceId,
    spanId: sc.spanId,
    traceFlags: sc.traceFlags,
    ...(state ? { traceState: state } : {}),
  });
}

function tracedPublish(
  api: OtelApi,
  tracer: Tracer,
  system: string,
  transport: Transport,
): Transport["publish"] {
  const recorded = async (
    span: Span,
    topic: string,
    message: OutgoingMessage,
    options: PublishOptions | undefined,
  ): Promise<PublishReceipt> => {
    span.setAttributes(sendAttributes(system, topic, message));
    const headers = contextHeaders(api, span);
    try {
      const receipt = await transport.publish(
        topic,
        headers ? { ...message, headers: { ...message.headers, ...headers } } : message,
        options,
      );
      if (message.id === undefined) span.setAttribute("messaging.message.id", receipt.id);
      return receipt;
    } catch (err) {
      failSpan(api, span, err);
      throw err;
    } finally {
      span.end();
    }
  };
  return (topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt> => {
    let parent: Context = api.context.active();
    if (message.headers?.[TRACEPARENT] !== undefined && api.trace.getSpan(parent) === undefined) {
      // No span is active (an outbox relay, a redrive): continue the trace the message was stored with.
      const carried = carriedSpanContext(message.headers);
      if (carried) parent = api.trace.setSpanContext(parent, carried);
    }
    const span = tracer.startSpan(
      `send ${topic}`,
      { kind: api.SpanKind.PRODUCER, attributes: startAttributes(system, "send", topic) },
      parent,
    );
    if (span.isRecording()) return recorded(span, topic, message, options);
    // Nothing records (no SDK, or not sampled): the cheap path. A valid context is still passed on, so a
    // trace that crosses this service continues past it.
    const headers = contextHeaders(api, span);
    return transport.publish(
      topic,
      headers ? { ...message, headers: { ...message.headers, ...headers } } : message,
      options,
    );
  };
}

/** The attributes a sampler sees at span start (the rest is added to recording spans only). */
function startAttributes(
  system: string,
  operation: "send" | "process",
  topic: string,
): Record<string, string> {
  return {
    "messaging.system": system,
    "messaging.operation.type": operation,
    "messaging.destination.name": topic,
  };
}

function tracedSubscribe(
  api: OtelApi,
  tracer: Tracer,
  system: string,
  transport: Transport,
): Transport["subscribe"] {
  return (topic, group, handler, options) =>
    transport.subscribe(
      topic,
      group,
      (delivery) => {
        const headers = delivery.message.headers;
        const carried = headers[TRACEPARENT] === undefined ? undefined : carriedSpanContext(headers);
        const parent = carried ? api.trace.setSpanContext(api.ROOT_CONTEXT, carried) : api.ROOT_CONTEXT;
        const span = tracer.startSpan(
          `process ${topic}`,
          {
            kind: api.SpanKind.CONSUMER,
            attributes: startAttributes(system, "process", topic),
            ...(carried ? { links: [{ context: carried }] } : {}),
          },
          parent,
        );
        if (!span.isRecording())
          // Nothing records: run the handler as it is, with the carried context active (if any) so its
          // follow-up publishes pass the trace on.
          return carried ? api.context.with(parent, handler, undefined, delivery) : handler(delivery);
        span.setAttributes(processAttributes(system, group, delivery.message));
        return api.context
          .with(api.trace.setSpan(parent, span), () => handler(observed(api, delivery, span)))
          .catch((err: unknown) => {
            failSpan(api, span, err);
            throw err;
          })
          .finally(() => span.end());
      },
      options,
    ) as ReturnType<Transport["subscribe"]>;
}

/** `delivery`, recording on `span` how it was settled (`mqa.settlement`, and the dead-letter reason). */
function observed(api: OtelApi, delivery: Delivery, span: Span): Delivery {
  return watchSettlement(delivery, (s) => {
    span.setAttribute("mqa.settlement", s.how);
    if (s.how === "retry") {
      span.addEvent("mqa.retry", { "mqa.retry.delay_ms": s.options?.delayMs ?? 0 });
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: "attempt failed; retried" });
    } else if (s.how === "dead-letter") {
      span.setAttribute("mqa.dead_letter.reason", s.reason.reason);
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: `dead-lettered (${s.reason.reason})${s.reason.error ? `: ${s.reason.error.message.slice(0, 200)}` : ""}`,
      });
    }
  });
}

function failSpan(api: OtelApi, span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message.slice(0, 200) });
}

/** The W3C headers of the span active now (for storing with a message published later), or none. */
export function activeTraceHeaders(api: OtelApi): Record<string, string> {
  const span = api.trace.getSpan(api.context.active());
  return span ? (contextHeaders(api, span) ?? {}) : {};
}
