/**
 * Run a piece of work in a span of its own, for features that are not message deliveries (saga steps): a
 * child of the span active now, or else of the trace context stored with the work. A no-op wrapper when
 * `@opentelemetry/api` is not installed.
 */
import { loadOtelApi, otelApiIfLoaded } from "./otel.js";
import { carriedSpanContext, TRACER_NAME } from "./traced-transport.js";

/** Run `fn` inside an internal span `name` (see the file comment); errors are recorded and rethrown. */
export async function inSpan<T>(
  name: string,
  carried: Readonly<Record<string, string>> | undefined,
  attributes: Record<string, string | number>,
  fn: () => Promise<T>,
): Promise<T> {
  const api = otelApiIfLoaded() ?? (await loadOtelApi());
  if (api === undefined) return fn();
  let parent = api.context.active();
  if (api.trace.getSpan(parent) === undefined) {
    const sc = carriedSpanContext(carried);
    if (sc) parent = api.trace.setSpanContext(parent, sc);
  }
  const span = api.trace.getTracer(TRACER_NAME).startSpan(name, { attributes }, parent);
  try {
    return await api.context.with(api.trace.setSpan(parent, span), fn);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    span.recordException(e);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message.slice(0, 200) });
    throw err;
  } finally {
    span.end();
  }
}
