/**
 * Connection options against private Redis servers: ACL user and password, rediss:// with a CA and
 * a client certificate (mutual TLS), and publish durability (WAIT / fsync) reporting.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MqaError } from "../src/core/errors.js";
import { freePort, RedisServerProcess } from "../src/testing/mod.js";
import { createRedisTransport, type RedisTransport } from "../src/transports/redis/mod.js";
import { bytes, REDIS_URL, until, uniquePrefix, deleteKeys } from "./redis-helpers.js";

const servers: RedisServerProcess[] = [];
const transports: RedisTransport[] = [];
const dirs: string[] = [];
const sharedPrefix = uniquePrefix();

afterAll(async () => {
  await Promise.all(transports.map((t) => t.abort()));
  await Promise.all(servers.map((s) => s.dispose()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await deleteKeys(sharedPrefix);
});

function track(t: RedisTransport): RedisTransport {
  transports.push(t);
  return t;
}

async function roundTrip(t: RedisTransport): Promise<void> {
  const got: string[] = [];
  await t.subscribe("secure", "g", async (d) => {
    got.push(d.message.id);
    await d.ack();
  });
  await t.publish("secure", { id: "s1", payload: bytes("x") });
  await until(() => got.length === 1, "the round trip");
}

describe("ACL user and password", () => {
  it("connects as an ACL user, and a wrong password fails with a message that hides it", async () => {
    const server = await RedisServerProcess.start({
      args: ["--user", "default", "off", "--user", "app", "on", ">s3cret-pw", "~*", "&*", "+@all"],
    });
    servers.push(server);
    await roundTrip(track(createRedisTransport({ url: `redis://app:s3cret-pw@127.0.0.1:${server.port}` })));
    const bad = track(
      createRedisTransport({
        url: `redis://app:wrong-pw@127.0.0.1:${server.port}`,
        connectTimeoutMs: 2000,
        reconnect: { baseMs: 10, maxMs: 20, multiplier: 1 },
      }),
    );
    const err = await bad.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "connection-closed")).toBe(true);
    expect(String((err as Error).message)).not.toContain("wrong-pw");
    expect(String((err as Error).message)).toContain("****");
  });
});

describe("rediss:// with CA and client certificate", () => {
  it("round-trips over mutual TLS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mqa-tls-"));
    dirs.push(dir);
    const ssl = (...args: string[]): void =>
      void execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "1",
      "-subj",
      "/CN=mqa-test-ca",
    );
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    for (const name of ["server", "client"]) {
      ssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/CN=mqa-${name}`,
      );
      ssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "1",
        "-extfile",
        "san.ext",
      );
    }
    const tlsPort = await freePort();
    const server = await RedisServerProcess.start({
      port: await freePort(),
      readyPort: tlsPort,
      args: [
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        join(dir, "server.crt"),
        "--tls-key-file",
        join(dir, "server.key"),
        "--tls-ca-cert-file",
        join(dir, "ca.crt"),
        "--tls-auth-clients",
        "yes",
      ],
    });
    servers.push(server);
    const read = (f: string): Buffer => readFileSync(join(dir, f));
    await roundTrip(
      track(
        createRedisTransport({
          url: `rediss://127.0.0.1:${tlsPort}`,
          tls: { ca: read("ca.crt"), cert: read("client.crt"), key: read("client.key") },
        }),
      ),
    );
    // Without the client certificate the server refuses the handshake.
    const anonymous = track(
      createRedisTransport({
        url: `rediss://127.0.0.1:${tlsPort}`,
        tls: { ca: read("ca.crt") },
        connectTimeoutMs: 2000,
      }),
    );
    await expect(
      anonymous.publish("secure", { payload: bytes("x") }, { timeoutMs: 1500 }),
    ).rejects.toBeInstanceOf(MqaError);
  });
});

describe("publish durability", () => {
  it("reports the server's durability and rejects an fsync it cannot confirm", async () => {
    // The shared Redis (7.0, appendonly no): no WAITAOF, no appendfsync always.
    const t = track(
      createRedisTransport({ url: REDIS_URL, keyPrefix: sharedPrefix, durability: { localFsync: true } }),
    );
    await t.connect();
    expect(t.serverDurability?.waitAof).toBe(false);
    expect(t.features.persistence).toBe(t.serverDurability?.appendOnly ? "disk" : "none");
    await expect(t.publish("d", { payload: bytes("x") })).rejects.toMatchObject({
      code: "durability-not-met",
    });
  });

  it("confirms fsync on an appendfsync-always server, and rejects when replicas are missing", async () => {
    const server = await RedisServerProcess.start();
    servers.push(server);
    const fsync = track(createRedisTransport({ url: server.url, durability: { localFsync: true } }));
    await fsync.connect();
    expect(fsync.features.persistence).toBe("disk");
    await expect(fsync.publish("d", { payload: bytes("x") })).resolves.toMatchObject({
      position: expect.any(String),
    });
    const replicas = track(
      createRedisTransport({ url: server.url, durability: { replicas: 1, timeoutMs: 100 } }),
    );
    await expect(replicas.publish("d", { payload: bytes("x") })).rejects.toMatchObject({
      code: "durability-not-met",
      details: { replicas: 0, wanted: 1 },
    });
  });
});
