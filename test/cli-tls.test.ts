/**
 * TLS from the command line (issue 13, item 8): `--tls-ca`, `--tls-cert`, `--tls-key`, `--tls-servername`,
 * `--tls-insecure` reach every connection a command makes (transport, admin Redis, verify's workers), and a
 * TLS failure is named at once. Runs the built bin against a private redis-server on a TLS-only port with a
 * throwaway CA, and a private RabbitMQ node with TLS and client certificates.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RabbitMqLauncher } from "../src/brokers/local/rabbitmq-launcher.js";
import { RedisServerProcess, freePort } from "../src/brokers/local/redis-launcher.js";
import { mqa } from "./support/cli.js";

/** A throwaway CA and a server certificate for localhost / 127.0.0.1, written into `dir`. */
function makeCertificates(dir: string): void {
  const run = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=mqa-cli-test-ca",
  );
  execFileSync("sh", ["-c", "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext"], {
    cwd: dir,
  });
  run("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  run(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  );
}

describe("TLS flags against a TLS-only Redis", () => {
  let dir: string;
  let redis: RedisServerProcess;
  let url: string;
  const topic = `cli-tls-${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mqa-cli-tls-"));
    makeCertificates(dir);
    const tlsPort = await freePort();
    redis = await RedisServerProcess.start({
      appendfsync: "no",
      readyPort: tlsPort,
      args: [
        "--port",
        "0",
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        join(dir, "server.pem"),
        "--tls-key-file",
        join(dir, "server.key"),
        "--tls-ca-cert-file",
        join(dir, "ca.pem"),
        "--tls-auth-clients",
        "no",
      ],
    });
    url = `rediss://127.0.0.1:${tlsPort}`;
  }, 30_000);

  afterAll(async () => {
    await redis?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes, consumes, monitors and audits with --tls-ca", async () => {
    const ca = ["--tls-ca", join(dir, "ca.pem")];
    // A topic of its own: the other tests publish "{}" to the shared one, in any order.
    const own = `${topic}-rw`;
    const pub = await mqa("publish", "--broker", url, ...ca, "--topic", own, "--declare", "g", '{"n":1}');
    expect(pub.code, pub.stderr).toBe(0);
    expect(JSON.parse(pub.stdout)).toMatchObject({ confirmed: true });
    const sub = await mqa("consume", "--broker", url, ...ca, "--topic", own, "--group", "g", "--count", "1");
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toContain('"n":1');
    const monitor = await mqa("monitor", url, ...ca, "--once", "--json");
    expect(monitor.code, monitor.stderr).toBe(0);
    const audit = await mqa("audit", url, ...ca, "--sample-ms", "0", "--json");
    expect(audit.code, audit.stderr).toBe(0);
  });

  it("runs verify's worker processes over TLS", async () => {
    const r = await mqa(
      "verify",
      "--broker",
      url,
      "--tls-ca",
      join(dir, "ca.pem"),
      "--messages",
      "200",
      "--consumers",
      "2",
      "--faults",
      "none",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lost: 0 });
  }, 60_000);

  it("names a TLS failure at once, and --tls-insecure works with a warning", async () => {
    const untrusted = await mqa("publish", "--broker", url, "--topic", topic, "{}");
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(/self[- ]signed|certificate/i);
    expect(untrusted.stderr).not.toMatch(/\n\s+at /);
    const wrongName = await mqa(
      "publish",
      "--broker",
      url,
      "--tls-ca",
      join(dir, "ca.pem"),
      "--tls-servername",
      "not-this-host.example",
      "--topic",
      topic,
      "{}",
    );
    expect(wrongName.code).toBe(2);
    expect(wrongName.stderr).toMatch(/not-this-host\.example|altnames|does not match/i);
    const insecure = await mqa("publish", "--broker", url, "--tls-insecure", "--topic", topic, "{}");
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.stderr).toMatch(/WARNING: --tls-insecure/);
  });

  it("refuses a certificate without its key and a file that is not PEM", async () => {
    const half = await mqa(
      "publish",
      "--broker",
      url,
      "--tls-cert",
      join(dir, "server.pem"),
      "--topic",
      topic,
      "{}",
    );
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
    await writeFile(join(dir, "not.pem"), "hello");
    const notPem = await mqa(
      "publish",
      "--broker",
      url,
      "--tls-ca",
      join(dir, "not.pem"),
      "--topic",
      topic,
      "{}",
    );
    expect(notPem.stderr).toMatch(/not a PEM file/);
  });
});

describe("TLS flags against a RabbitMQ node that requires a client certificate", () => {
  let node: RabbitMqLauncher;
  let dir: string;

  beforeAll(async () => {
    node = new RabbitMqLauncher({ tls: true });
    await node.start();
    dir = await mkdtemp(join(tmpdir(), "mqa-cli-amqps-"));
    const { ca, cert, key } = node.clientTls;
    await Promise.all([
      writeFile(join(dir, "ca.pem"), ca),
      writeFile(join(dir, "client.pem"), cert),
      writeFile(join(dir, "client.key"), key, { mode: 0o600 }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("publishes over amqps:// with --tls-ca, --tls-cert and --tls-key, and names a refused handshake", async () => {
    const topic = `cli-amqps-${randomBytes(4).toString("hex")}`;
    const files = [
      "--tls-ca",
      join(dir, "ca.pem"),
      "--tls-cert",
      join(dir, "client.pem"),
      "--tls-key",
      join(dir, "client.key"),
    ];
    const ok = await mqa(
      "publish",
      "--broker",
      node.tlsUrl,
      ...files,
      "--topic",
      topic,
      "--declare",
      "g",
      "{}",
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ confirmed: true });
    const noCa = await mqa("publish", "--broker", node.tlsUrl, "--topic", topic, "{}");
    expect(noCa.code).toBe(2);
    expect(noCa.stderr).toMatch(/TLS (with|to) amqps:\/\/guest:\*\*\*\*@127\.0\.0\.1:\d+ failed/);
    expect(noCa.stderr).not.toMatch(/retrying/);
  }, 60_000);
});
