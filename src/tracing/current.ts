/**
 * Trace context for messages stored now and published later (the outbox, saga steps): the W3C headers of
 * the span active in the caller, so the eventual publish continues the caller's trace.
 */
import { loadOtelApi, otelApiIfLoaded } from "./otel.js";
import { activeTraceHeaders } from "./traced-transport.js";
import { TRACEPARENT } from "./w3c.js";

/**
 * `headers` with the active span's `traceparent`/`tracestate` added, unless they carry a `traceparent`
 * already or no span is active (or `@opentelemetry/api` is not installed: then `headers` unchanged).
 */
export async function withActiveTraceHeaders(
  headers: Record<string, string> | undefined,
): Promise<Record<string, string> | undefined> {
  if (headers?.[TRACEPARENT] !== undefined) return headers;
  const api = otelApiIfLoaded() ?? (await loadOtelApi());
  if (api === undefined) return headers;
  const trace = activeTraceHeaders(api);
  return trace[TRACEPARENT] === undefined ? headers : { ...headers, ...trace };
}
