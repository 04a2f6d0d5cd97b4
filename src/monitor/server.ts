/**
 * The monitor's HTTP face (node:http, no framework for a handful of routes): `/metrics` for Prometheus,
 * `/snapshot.json` for scripts, `/` the operator's console (the page built from ./ui into dist/ui/, served
 * from memory with its assets) and `/events`, the console's Server-Sent Events. Binds to 127.0.0.1 unless
 * told otherwise: the page shows queue names and should not be public by accident. Every request passes the
 * guards of ./http-guard.ts first: Host check, optional bearer token, security headers.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidOptionsError } from "../core/errors.js";
import { resourceOf } from "./alerts.js";
import { loadConsoleAssets } from "./console-assets.js";
import { ConsoleStreams } from "./console-events.js";
import {
  allowedHosts,
  hostOf,
  isLoopback,
  presentedToken,
  securityHeaders,
  tokenCookie,
  tokenMatches,
} from "./http-guard.js";
import type { Monitor } from "./monitor.js";

export interface MonitorServer {
  readonly port: number;
  readonly url: string;
  /** True when the server is reachable from other machines (bound beyond loopback). */
  readonly exposed: boolean;
  close(): Promise<void>;
}

export interface ServeMonitorOptions {
  /** 0: any free port. */
  port: number;
  /** Address to bind. @defaultValue "127.0.0.1" */
  host?: string;
  /**
   * Require this bearer token on every request (`Authorization: Bearer …`, or the cookie that opening
   * `/?token=…` once sets for the page). Unset: no authentication, which is only sensible on loopback.
   */
  token?: string;
  /** Host names requests may use besides the bound address, loopback and (for 0.0.0.0) this machine's own. */
  allowHosts?: readonly string[];
  /** Console event streams (`/events`) open at once; one more gets 503. @defaultValue 100 */
  maxStreams?: number;
  /** The built console page's directory. @defaultValue dist/ui next to this module (see ./console-assets.ts) */
  consoleDir?: string;
}

export async function serveMonitor(monitor: Monitor, options: ServeMonitorOptions): Promise<MonitorServer> {
  const host = options.host ?? "127.0.0.1";
  const maxStreams = options.maxStreams ?? 100;
  if (!Number.isInteger(maxStreams) || maxStreams < 0)
    throw new InvalidOptionsError(
      `serveMonitor: maxStreams must be a whole number of streams (0 or more), not ${String(maxStreams)}`,
    );
  const assets = await loadConsoleAssets(options.consoleDir);
  const streams = new ConsoleStreams(monitor.console, { maxStreams });
  const headers = securityHeaders();
  const hosts = allowedHosts(host, options.allowHosts);
  const token = options.token;
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://monitor.invalid");
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("mqa monitor: malformed request target\n");
      return;
    }
    const path = url.pathname;
    const requestHost = hostOf(req.headers.host);
    if (requestHost === undefined || !hosts.has(requestHost)) {
      // A page on another domain that re-resolved to this address (DNS rebinding) names its own host here.
      res
        .writeHead(421, { "content-type": "text/plain" })
        .end(
          `mqa monitor does not serve the host '${String(req.headers.host ?? "")}'; start it with --allow-host <name> if that name is meant to reach it\n`,
        );
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (token !== undefined) {
      const fromQuery = path === "/" ? url.searchParams.get("token") : null;
      if (fromQuery !== null && tokenMatches(fromQuery, token)) {
        // Trade the token in the address for a cookie the page's fetches carry, and drop it from the address bar.
        res.writeHead(303, { location: "/", "set-cookie": tokenCookie(token) }).end();
        return;
      }
      if (!tokenMatches(presentedToken(req.headers), token)) {
        res
          .writeHead(401, { "www-authenticate": 'Bearer realm="mqa monitor"', "content-type": "text/plain" })
          .end(
            "mqa monitor needs its token: send 'Authorization: Bearer <token>' or open /?token=<token> once\n",
          );
        return;
      }
    }
    if (path === "/metrics") {
      monitor.metrics.text().then(
        (text) => res.writeHead(200, { "content-type": monitor.metrics.contentType }).end(text),
        () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics are not available\n"),
      );
    } else if (path === "/snapshot.json") {
      // As served: internal host names hidden unless the monitor was told to show them.
      const state = monitor.servedState;
      const queues = state.snapshot?.queues.map((q) => ({ ...q, resource: resourceOf(q) }));
      const body = JSON.stringify({
        target: monitor.servedTarget,
        ...state,
        snapshot: state.snapshot && { ...state.snapshot, queues },
      });
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } else if (path === "/events") {
      streams.serve(req, res);
    } else {
      const asset = assets.get(path);
      if (asset === undefined) {
        res
          .writeHead(404, { "content-type": "text/plain" })
          .end("not found: try /, /events, /metrics or /snapshot.json\n");
        return;
      }
      res.writeHead(200, {
        "content-type": asset.contentType,
        "content-length": asset.body.length,
        ...(asset.immutable ? { "cache-control": "public, max-age=31536000, immutable" } : {}),
      });
      res.end(req.method === "HEAD" ? undefined : asset.body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
    exposed: !isLoopback(host),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
