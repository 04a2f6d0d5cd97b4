/**
 * Tracing for `mqa demo --trace`: an OpenTelemetry SDK tracer provider that keeps spans in memory, so the
 * demo can print one order's trace without a tracing backend. The SDK packages are development
 * dependencies of mqa, loaded with `import()`; when they are missing the demo runs untraced and says why.
 */
import type * as SdkTraceBase from "@opentelemetry/sdk-trace-base";
import type * as ContextAsyncHooks from "@opentelemetry/context-async-hooks";
import type { Transport } from "../core/transport.js";
import { loadOtelApi } from "../tracing/otel.js";
import { withTracing } from "../tracing/traced-transport.js";
import type { SpanRecord } from "./trace-tree.js";

/** An in-memory tracing setup for one demo run. */
export interface DemoTracing {
  /** `transport`, traced into this setup's provider. */
  wrap<T extends Transport>(transport: T): Promise<T>;
  /** Every span finished so far. */
  spans(): SpanRecord[];
  /** Flush and shut the provider down. */
  close(): Promise<void>;
}

/** The packages `--trace` needs, for the message when one is missing. */
export const TRACE_PACKAGES = [
  "@opentelemetry/api",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/context-async-hooks",
];

/** Set up in-memory tracing, or explain (as a string) which package is missing. */
export async function startDemoTracing(): Promise<DemoTracing | string> {
  const api = await loadOtelApi();
  let sdk: typeof SdkTraceBase;
  let hooks: typeof ContextAsyncHooks;
  try {
    if (api === undefined) throw new Error("@opentelemetry/api");
    sdk = await import("@opentelemetry/sdk-trace-base");
    hooks = await import("@opentelemetry/context-async-hooks");
  } catch {
    return `--trace needs ${TRACE_PACKAGES.join(", ")} (npm install --save-dev ${TRACE_PACKAGES.join(" ")}); running without tracing`;
  }
  const exporter = new sdk.InMemorySpanExporter();
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] });
  // Handlers' follow-up publishes find their consumer span through async context.
  const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  const kinds = ["internal", "server", "client", "producer", "consumer"];
  const statuses = ["unset", "ok", "error"];
  return {
    wrap: (transport) => withTracing(transport, { api, tracerProvider: provider }),
    spans: () =>
      exporter.getFinishedSpans().map((s) => {
        const [sec, ns] = s.startTime;
        const [dsec, dns] = s.duration;
        const status = statuses[s.status.code] ?? "unset";
        return {
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId,
          name: s.name,
          kind: kinds[s.kind] ?? String(s.kind),
          startMs: sec * 1000 + ns / 1e6,
          durationMs: dsec * 1000 + dns / 1e6,
          status: s.status.message ? `${status}: ${s.status.message}` : status,
          attributes: { ...s.attributes },
        };
      }),
    close: async () => {
      await provider.shutdown();
      api.context.disable();
    },
  };
}

/**
 * Which order of a run `--trace` shows: number 7 when there is one (it fails transiently twice, so its trace
 * has the retries before the payment and the notification), else the first.
 */
export function tracedOrderNumber(orders: number): number {
  return orders >= 7 ? 7 : 1;
}

/** The trace id of the message `messageId` published to `topic`, from its producer span. */
export function traceIdOf(
  spans: readonly SpanRecord[],
  topic: string,
  messageId: string,
): string | undefined {
  return spans.find(
    (s) =>
      s.kind === "producer" &&
      s.attributes["messaging.destination.name"] === topic &&
      s.attributes["messaging.message.id"] === messageId,
  )?.traceId;
}
