/**
 * The process-wide default TLS settings of the admin layer (management API over `https:`, admin Redis over
 * `rediss:`), for callers that do not pass `tls` themselves. The CLI sets them once from its `--tls-*` flags,
 * so every feature it runs (monitor, audit, topology) connects the same way without threading them through.
 * Settings a call passes explicitly always win. A library user passes `tls` per call and never needs this.
 */
import type { AdminTlsOptions } from "./http.js";

let defaults: AdminTlsOptions | undefined;

/** Set (or with `undefined`, clear) the default TLS settings of admin connections in this process. */
export function setDefaultAdminTls(tls: AdminTlsOptions | undefined): void {
  defaults = tls;
}

/** The TLS settings for an admin connection: the call's own, else the process default. */
export function adminTls(given: AdminTlsOptions | undefined): AdminTlsOptions | undefined {
  return given ?? defaults;
}
