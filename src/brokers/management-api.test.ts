import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MqaError } from "../core/errors.js";
import { BrokerApiError } from "./errors.js";
import { RabbitManagementApi } from "./management-api.js";

/** What the stub saw of each request. */
interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: Server | undefined;
let seen: Seen[] = [];

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(s: Server): Promise<number> {
  server = s;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return (s.address() as AddressInfo).port;
}

function recording(handler: Handler): Handler {
  return (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      handler(req, res);
    });
  };
}

const json = (res: ServerResponse, status: number, value: unknown): void => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
};

afterEach(async () => {
  seen = [];
  const s = server;
  server = undefined;
  if (s) await new Promise((r) => s.close(r));
});

describe("RabbitManagementApi over http", () => {
  it("sends the URL's credentials only in the Authorization header, under the URL's path prefix", async () => {
    const port = await listen(
      createHttpServer(recording((_req, res) => json(res, 200, { rabbitmq_version: "4.0.5" }))),
    );
    const api = new RabbitManagementApi(`http://ops:s%40cret@127.0.0.1:${port}/rabbit/`);
    expect(await api.overview()).toEqual({ rabbitmq_version: "4.0.5" });
    expect(seen[0]!.url).toBe("/rabbit/api/overview");
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from("ops:s@cret").toString("base64")}`);
    expect(api.maskedUrl).not.toContain("s%40cret");
    expect(api.user).toBe("ops");
  });

  it("tolerant get returns a refusal as a status; a throwing call turns it into BrokerApiError with the masked URL", async () => {
    const port = await listen(
      createHttpServer(recording((_req, res) => json(res, 403, { error: "not_authorised", reason: "no" }))),
    );
    const api = new RabbitManagementApi(`http://ops:Top-Secret-9@127.0.0.1:${port}`);
    expect(await api.get("/nodes")).toEqual({ ok: false, status: 403 });
    const err = (await api.definitions().catch((e: unknown) => e)) as BrokerApiError;
    expect(err).toBeInstanceOf(BrokerApiError);
    expect(err.code).toBe("connection-closed");
    expect(err.status).toBe(403);
    expect(err.message).toContain("ops:****@127.0.0.1");
    expect(err.message).not.toContain("Top-Secret-9");
  });

  it("refused credentials are the caller's to fix: invalid-options", async () => {
    const port = await listen(
      createHttpServer(recording((_req, res) => json(res, 401, { error: "not_authorized" }))),
    );
    const api = new RabbitManagementApi(`http://ops:wrong@127.0.0.1:${port}`);
    const check = (await api.checkCredentials().catch((e: unknown) => e)) as Error;
    expect(MqaError.is(check, "invalid-options")).toBe(true);
    expect(check.message).toMatch(/refused the credentials \(401\)/);
    const call = (await api.putVhost({ name: "v" }).catch((e: unknown) => e)) as Error;
    expect(MqaError.is(call, "invalid-options")).toBe(true);
  });

  it("deleting what is gone succeeds; a body that is not JSON names the port", async () => {
    const port = await listen(
      createHttpServer(
        recording((req, res) => {
          if (req.method === "DELETE") json(res, 404, { error: "Object Not Found" });
          else res.writeHead(200).end("<html>AMQP</html>");
        }),
      ),
    );
    const api = new RabbitManagementApi(`http://127.0.0.1:${port}`);
    await expect(api.deleteVhost("gone")).resolves.toBeUndefined();
    const err = (await api.get("/overview").catch((e: unknown) => e)) as Error;
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    expect(err.message).toMatch(/did not return JSON/);
  });

  it("bounds each call by timeoutMs", async () => {
    const port = await listen(createHttpServer(() => undefined)); // never answers
    const api = new RabbitManagementApi(`http://u:Top-Secret-9@127.0.0.1:${port}`, { timeoutMs: 100 });
    const err = (await api.get("/overview").catch((e: unknown) => e)) as Error;
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(err.message).toMatch(/no answer within 100 ms/);
    expect(err.message).not.toContain("Top-Secret-9");
  });

  it("rejects what is not a management URL, masked", () => {
    for (const url of ["amqp://u:Top-Secret-9@h:5672", "http://u:Top-Secret-9@bad host:15672"]) {
      let err: unknown;
      try {
        new RabbitManagementApi(url);
      } catch (e) {
        err = e;
      }
      expect(MqaError.is(err, "invalid-options")).toBe(true);
      expect((err as Error).message).not.toContain("Top-Secret-9");
    }
  });
});

describe("RabbitManagementApi over https", () => {
  let dir: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mqa-tls-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
        ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(join(dir, "cert.pem"), "utf8");
    key = readFileSync(join(dir, "key.pem"), "utf8");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("trusts the CA given in the options, and refuses an unknown certificate without it", async () => {
    const port = await listen(
      createHttpsServer(
        { cert, key },
        recording((_req, res) => json(res, 200, { rabbitmq_version: "4.0.5" })),
      ),
    );
    const url = `https://guest:guest@127.0.0.1:${port}`;
    const trusted = new RabbitManagementApi(url, { tls: { ca: cert } });
    expect(await trusted.overview()).toEqual({ rabbitmq_version: "4.0.5" });
    const untrusted = new RabbitManagementApi(url);
    const err = (await untrusted.overview().catch((e: unknown) => e)) as Error;
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(err.message).toMatch(/self[- ]signed/i);
  });
});
