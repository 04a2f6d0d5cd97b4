/**
 * `mqa/tracing`: OpenTelemetry tracing for any transport (docs/tracing.md). `@opentelemetry/api` is an
 * optional peer dependency, loaded with `import()` only when tracing is asked for.
 */
export { withTracing, carriedSpanContext, TRACER_NAME, type TracingOptions } from "./traced-transport.js";
export { withActiveTraceHeaders } from "./current.js";
export { loadOtelApi, type OtelApi } from "./otel.js";
export {
  formatTraceParent,
  parseTraceParent,
  parseTraceState,
  traceHeaders,
  TRACEPARENT,
  TRACESTATE,
  type TraceParent,
} from "./w3c.js";
export { messagingSystem } from "./attributes.js";
