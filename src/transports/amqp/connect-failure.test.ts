import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { RabbitManagementApi } from "../../brokers/management-api.js";
import { RABBIT_MANAGEMENT_URL, uniqueName } from "../../../test/support/topology.js";
import { AMQP_PORT } from "../../../test/support/amqp.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import { fatalConnectCause } from "./connect-failure.js";

const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);
const user = uniqueName("mqa-f1-user");
const vhost = uniqueName("mqa-f1-vhost");
const password = "right-password-f1";
const url = (pass: string, vh: string): string =>
  `amqp://${user}:${pass}@127.0.0.1:${AMQP_PORT}/${encodeURIComponent(vh)}`;

const open: AmqpTransport[] = [];
/** A transport that would keep trying for a minute if the failure were treated as transient. */
function transport(u: string, extra: Parameters<typeof createAmqpTransport>[0] = {}): AmqpTransport {
  const t = createAmqpTransport({ url: u, initialConnectTimeoutMs: 60_000, ...extra });
  open.push(t);
  return t;
}

/** What connect() rejected with. */
async function connectError(t: AmqpTransport): Promise<MqaError> {
  const err = await t.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MqaError)) throw new Error(`expected an MqaError, got ${String(err)}`);
  return err;
}

beforeAll(async () => {
  await api.putVhost({ name: vhost });
  await api.putUser(user, { password, tags: [] });
  await api.putPermission({ user, vhost, configure: ".*", write: ".*", read: ".*" });
});
afterAll(async () => {
  await api.deleteVhost(vhost);
  await api.deleteUser(user);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 1000 })));
});

describe("connection failures retrying cannot fix", () => {
  it("the right user, password and vhost connect (the setup the other cases spoil)", async () => {
    const t = transport(url(password, vhost));
    await t.connect();
    expect(t.state.status).toBe("ready");
  });

  it("a wrong password fails connect() at once with the cause, the masked URL and what to do", async () => {
    const t = transport(url("wrong-password", vhost));
    const err = await connectError(t);
    expect(err.code).toBe("connection-closed");
    expect(err.details).toMatchObject({ reason: "access-refused" });
    expect(err.message).toContain("ACCESS_REFUSED");
    expect(err.message).toContain(`user '${user}'`);
    expect(err.message).toContain(`amqp://${user}:****@127.0.0.1:${AMQP_PORT}/`);
    expect(err.message).not.toContain("wrong-password");
    expect(err.message).toMatch(/fix the credentials/i);
    expect(t.state.status).toBe("idle");
  });

  it("a vhost that does not exist fails connect() at once naming the vhost", async () => {
    const missing = uniqueName("mqa-f1-missing");
    const t = transport(url(password, missing));
    const err = await connectError(t);
    expect(err.code).toBe("connection-closed");
    expect(err.details).toMatchObject({ reason: "vhost-refused" });
    expect(err.message).toContain(`vhost '${missing}'`);
    expect(err.message).toContain("NOT_ALLOWED");
    expect(err.message).not.toContain(password);
  });

  it("a publish waiting for the first connection fails with the same cause", async () => {
    const t = transport(url("wrong-password", vhost));
    const err = await t.publish("anything", { payload: new Uint8Array([1]) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect((err as MqaError).details).toMatchObject({ reason: "access-refused" });
  });

  describe("TLS", () => {
    let dir: string;
    let server: tls.Server;
    let port: number;
    beforeAll(async () => {
      // A TLS server with a self-signed certificate nobody trusts: the handshake fails on the client.
      dir = mkdtempSync(join(tmpdir(), "mqa-f1-tls-"));
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"].concat([
          "-keyout",
          "key.pem",
          "-out",
          "cert.pem",
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
        ]),
        { cwd: dir, stdio: "ignore" },
      );
      server = tls.createServer({
        key: readFileSync(join(dir, "key.pem")),
        cert: readFileSync(join(dir, "cert.pem")),
      });
      server.on("tlsClientError", () => undefined);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it("an untrusted certificate fails connect() at once, naming TLS and the option to set", async () => {
      const t = transport(`amqps://guest:secret-f1@127.0.0.1:${port}`);
      const err = await connectError(t);
      expect(err.details).toMatchObject({ reason: "tls" });
      expect(err.message).toContain("tls.ca");
      expect(err.message).toContain(`amqps://guest:****@127.0.0.1:${port}`);
      expect(err.message).not.toContain("secret-f1");
    });
  });

  it("a refused connection (nothing listening) is not fatal: it is retried", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(fatalConnectCause(refused)).toBeUndefined();
  });
});
