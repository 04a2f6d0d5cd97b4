/**
 * The OpenTelemetry API, loaded only when asked for: `@opentelemetry/api` is an optional peer dependency,
 * so mqa never imports it statically. The first call starts one `import()`; every later call gets the same
 * promise. When the package is not installed the promise resolves to `undefined` and tracing stays off.
 */
import type * as Api from "@opentelemetry/api";

/** The `@opentelemetry/api` module. */
export type OtelApi = typeof Api;

let loading: Promise<OtelApi | undefined> | undefined;
let loaded: OtelApi | undefined;

/** The OpenTelemetry API if it is installed (cached after the first call), else undefined. */
export function loadOtelApi(): Promise<OtelApi | undefined> {
  loading ??= import("@opentelemetry/api").then(
    (mod) => {
      // Some loaders hand the CommonJS build over as `default` only.
      const m = mod as unknown as Partial<OtelApi> & { default?: OtelApi };
      loaded = typeof m.trace === "object" ? (m as OtelApi) : m.default;
      return loaded;
    },
    () => undefined,
  );
  return loading;
}

/** The API if {@link loadOtelApi} has already loaded it; never starts a load (for hot paths). */
export function otelApiIfLoaded(): OtelApi | undefined {
  return loaded;
}
