/**
 * One HTTP(S) request to a broker's admin API on `node:http` / `node:https`, no HTTP library. Node 20's global
 * fetch cannot take a CA or client certificate per request without undici (a dependency), and `node:https`
 * can, in a few lines: see docs/decisions/0080-broker-admin-layer.md.
 */
import http from "node:http";
import https from "node:https";
import { adminTls } from "./admin-tls.js";

/**
 * TLS settings for an `https:` admin URL, applied to every request the same way for every caller
 * (topology, audit, monitor). Without them Node's defaults hold: its bundled CAs plus `NODE_EXTRA_CA_CERTS`.
 */
export interface AdminTlsOptions {
  /** PEM CA certificate(s) to trust; replaces Node's bundled list, as in `tls.connect`. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** PEM client certificate, for brokers that require one. */
  cert?: string | Buffer;
  /** PEM private key of `cert`. */
  key?: string | Buffer;
  /** Server name for SNI and the certificate check. @defaultValue the URL's host name */
  servername?: string;
  /** Refuse a server whose certificate does not verify. Turn off only for a lab broker. @defaultValue true */
  rejectUnauthorized?: boolean;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Abort when the whole exchange takes longer. */
  timeoutMs: number;
  /** @defaultValue the process default (admin-tls.ts), else Node's defaults */
  tls?: AdminTlsOptions | undefined;
}

export interface HttpReply {
  status: number;
  text: string;
}

/**
 * Send one request to `url` (whose userinfo must already be removed: credentials go in `headers`) and read the
 * whole reply as text. Rejects on network failure or timeout with a message that holds no URL, so callers add
 * the masked one.
 */
export function httpRequest(url: URL, request: HttpRequest): Promise<HttpReply> {
  const secure = url.protocol === "https:";
  const signal = AbortSignal.timeout(request.timeoutMs);
  const given = adminTls(request.tls);
  const tls = secure && given ? { ...given, ca: given.ca as https.RequestOptions["ca"] } : {};
  return new Promise<HttpReply>((resolve, reject) => {
    const fail = (err: Error): void =>
      reject(signal.aborted ? new Error(`no answer within ${request.timeoutMs} ms`, { cause: err }) : err);
    const options = { method: request.method, headers: request.headers, signal, ...tls };
    const req = (secure ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", fail);
    req.end(request.body);
  });
}
