/**
 * The monitor's HTTP face (node:http, no framework for three routes): `/metrics` for Prometheus,
 * `/snapshot.json` for scripts and the page, `/` a live page that refreshes itself. Binds to 127.0.0.1
 * unless told otherwise: the page shows queue names and should not be public by accident. Every request
 * passes the guards of ./http-guard.ts first: Host check, optional bearer token, security headers.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resourceOf } from "./alerts.js";
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
import { livePage } from "./page.js";

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
  refreshMs: number;
  /**
   * Require this bearer token on every request (`Authorization: Bearer …`, or the cookie that opening
   * `/?token=…` once sets for the page). Unset: no authentication, which is only sensible on loopback.
   */
  token?: string;
  /** Host names requests may use besides the bound address, loopback and (for 0.0.0.0) this machine's own. */
  allowHosts?: readonly string[];
}

export async function serveMonitor(monitor: Monitor, options: ServeMonitorOptions): Promise<MonitorServer> {
  const host = options.host ?? "127.0.0.1";
  const page = livePage(options.refreshMs);
  const headers = securityHeaders(page);
  const hosts = allowedHosts(host, options.allowHosts);
  const token = options.token;
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    const url = new URL(req.url ?? "/", "http://monitor.invalid");
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
      const state = monitor.state;
      const queues = state.snapshot?.queues.map((q) => ({ ...q, resource: resourceOf(q) }));
      const body = JSON.stringify({
        target: monitor.target,
        ...state,
        snapshot: state.snapshot && { ...state.snapshot, queues },
      });
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } else if (path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    } else {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("not found: try /, /metrics or /snapshot.json\n");
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
