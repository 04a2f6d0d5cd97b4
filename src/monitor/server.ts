/**
 * The monitor's HTTP face (node:http, no framework for three routes): `/metrics` for Prometheus,
 * `/snapshot.json` for scripts and the page, `/` a live page that refreshes itself. Binds to 127.0.0.1
 * unless told otherwise: the page shows queue names and should not be public by accident.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resourceOf } from "./alerts.js";
import type { Monitor } from "./monitor.js";
import { livePage } from "./page.js";

export interface MonitorServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function serveMonitor(
  monitor: Monitor,
  options: { port: number; host?: string; refreshMs: number },
): Promise<MonitorServer> {
  const host = options.host ?? "127.0.0.1";
  const page = livePage(options.refreshMs);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      monitor.metrics.text().then(
        (text) => res.writeHead(200, { "content-type": monitor.metrics.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
      );
    } else if (path === "/snapshot.json") {
      const state = monitor.state;
      const queues = state.snapshot?.queues.map((q) => ({ ...q, resource: resourceOf(q) }));
      const body = JSON.stringify({
        target: monitor.target,
        ...state,
        snapshot: state.snapshot && { ...state.snapshot, queues },
      });
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(body);
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
