/**
 * What stands between the monitor's HTTP server and a hostile network: security headers with a content
 * security policy that lets the console run only scripts and styles served by the monitor itself (no inline
 * script, no other origin; the page talks only to its own origin), a Host-header check against
 * DNS rebinding (a web page whose domain suddenly resolves to 127.0.0.1 must not read `/snapshot.json`), and
 * an optional bearer token, also accepted as a cookie that `/?token=…` sets so the page's own fetches carry it.
 * Pure functions over strings and headers; the server applies them to every request.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { hostname as machineHostname, networkInterfaces } from "node:os";

export const TOKEN_COOKIE = "mqa_monitor_token";

/**
 * Headers every response carries. The console is built files only (dist/ui: one script, one stylesheet),
 * so scripts and styles come from 'self' and nothing inline runs; uPlot and Preact set element styles
 * through the CSSOM, which style-src does not restrict.
 */
export function securityHeaders(): OutgoingHttpHeaders {
  return {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
  };
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** True for the wildcard addresses that bind every interface. */
export function isWildcard(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "0.0.0.0" || h === "::" || h === "";
}

/**
 * The host names a request may name in its Host header, lower-case and without port: the bound address,
 * the loopback names, and for a wildcard bind every address of this machine and its host name; plus what
 * the user allows explicitly (a DNS name that points here, a load balancer's name).
 */
export function allowedHosts(bindHost: string, extra: readonly string[] = []): Set<string> {
  const out = new Set<string>([...LOOPBACK_NAMES, ...extra.map((h) => h.toLowerCase())]);
  out.add(bindHost.replace(/^\[|\]$/g, "").toLowerCase());
  if (isWildcard(bindHost)) {
    out.add(machineHostname().toLowerCase());
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) out.add(a.address.toLowerCase());
  }
  return out;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-case; undefined when absent or malformed. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (v6) return v6[1]?.toLowerCase();
  const m = /^([^:\s]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer …` first, else the monitor's cookie. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m?.[1];
  }
  for (const part of (headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

/** The cookie `/?token=…` sets: only sent back to this origin, never readable by scripts. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}
