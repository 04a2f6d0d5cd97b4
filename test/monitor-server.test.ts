/**
 * The monitor's HTTP server facing a hostile network (issue 13, item 9): a Host check against DNS rebinding,
 * an optional bearer token (header or the cookie `/?token=` sets), security headers with a CSP that runs only
 * the console's own files, and a warning when the CLI binds beyond loopback. Sampling the shared Redis with a SCAN
 * pattern that matches nothing, so the test reads no other test's keys.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, serveMonitor, type MonitorServer } from "../src/monitor/mod.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { REDIS_URL, uniqueName } from "./support/topology.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET with an explicit Host header (fetch does not let a caller set one). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The status of a GET, read from the response head (an event stream never ends); the connection is then dropped. */
function statusOf(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const match = `${uniqueName("monsrv")}:nothing:*`;
const token = "t0ken-for-the-monitor-test-0123456789";

describe("monitor HTTP server guards", () => {
  let open: MonitorServer;
  let guarded: MonitorServer;
  let monitor: Monitor;
  beforeAll(async () => {
    monitor = new Monitor(new RedisSampler(REDIS_URL, { match }), { intervalMs: 60_000 });
    await monitor.sampleOnce();
    open = await serveMonitor(monitor, { port: 0 });
    guarded = await serveMonitor(monitor, { port: 0, token, allowHosts: ["mqa.example"] });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await monitor?.stop();
  });

  it("refuses a Host header it does not serve (DNS rebinding) and serves loopback names and allowed hosts", async () => {
    const rebound = await get(open.port, "/snapshot.json", { host: `attacker.example:${open.port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain("attacker.example");
    expect((await get(open.port, "/snapshot.json")).status).toBe(200);
    expect((await get(open.port, "/snapshot.json", { host: `localhost:${open.port}` })).status).toBe(200);
    expect((await get(open.port, "/", { host: `[::1]:${open.port}` })).status).toBe(200);
    // Allowed by name on the guarded server (401: the host passed, the token did not come).
    expect((await get(guarded.port, "/", { host: `mqa.example:${guarded.port}` })).status).toBe(401);
    expect((await get(open.port, "/", { host: `mqa.example:${open.port}` })).status).toBe(421);
  });

  it("sends security headers whose CSP runs only the console's own files, nothing inline", async () => {
    const page = await get(open.port, "/");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    const csp = String(page.headers["content-security-policy"]);
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name = "", ...values] = d.trim().split(/\s+/);
        return [name, values.join(" ")] as const;
      }),
    );
    expect(directives.get("default-src")).toBe("'none'");
    expect(directives.get("script-src")).toBe("'self'");
    expect(directives.get("style-src")).toBe("'self'");
    expect(directives.get("connect-src")).toBe("'self'");
    expect(directives.get("frame-ancestors")).toBe("'none'");
    expect(csp).not.toContain("unsafe");
    // The page has no inline script for the policy to allow: its only script is a file of the build.
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(String((await get(open.port, "/metrics")).headers["x-content-type-options"])).toBe("nosniff");
  });

  it("with a token: refuses requests without it, accepts the bearer header and the cookie /?token= sets", async () => {
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec((await get(open.port, "/")).body)?.[1];
    expect(script).toBeDefined();
    for (const path of ["/", "/metrics", "/snapshot.json", "/events", `/${script}`]) {
      const refused = await get(guarded.port, path);
      expect(refused.status).toBe(401);
      expect(refused.headers["www-authenticate"]).toContain("Bearer");
      expect(refused.body).not.toContain(token);
      expect(
        (await get(guarded.port, path, { authorization: "Bearer wrong-token-xxxxxxxxxxxx" })).status,
      ).toBe(401);
      expect(await statusOf(guarded.port, path, { authorization: `Bearer ${token}` })).toBe(200);
    }
    expect((await get(guarded.port, "/?token=wrong")).status).toBe(401);
    const login = await get(guarded.port, `/?token=${encodeURIComponent(token)}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe("/");
    const cookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    expect(String(login.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict/);
    for (const path of ["/snapshot.json", "/events", `/${script}`])
      expect(await statusOf(guarded.port, path, { cookie })).toBe(200);
  });
});

describe("mqa monitor --port on other interfaces", () => {
  const bin = new URL("../bin/mqa.js", import.meta.url).pathname;

  /** Start the CLI, return its stderr once the server line is out, then stop it. */
  async function startupLines(args: string[], env: Record<string, string> = {}): Promise<string> {
    const child = spawn(
      process.execPath,
      [bin, "monitor", REDIS_URL, "--match", match, "--port", "0", ...args],
      {
        env: { ...process.env, ...env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.setEncoding("utf8");
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on("data", (c: string) => {
          err += c;
          if (err.includes("Ctrl-C stops")) resolve();
        });
        void exited.then(() => reject(new Error(`mqa monitor exited early: ${err}`)));
      });
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    return err;
  }

  it("warns when bound beyond loopback without a token, and reads the token from a file, never argv", async () => {
    const wide = await startupLines(["--host", "0.0.0.0"]);
    expect(wide).toMatch(/WARNING: listening on 0\.0\.0\.0 without a token/);
    const loopback = await startupLines([]);
    expect(loopback).not.toMatch(/warning/i);
    const dir = await mkdtemp(join(tmpdir(), "mqa-token-"));
    try {
      const file = join(dir, "token");
      await writeFile(file, `${token}\n`, { mode: 0o600 });
      const withToken = await startupLines(["--host", "0.0.0.0", "--token-file", file]);
      expect(withToken).toContain("bearer token required");
      expect(withToken).not.toContain(token);
      expect(withToken).not.toMatch(/WARNING/);
      const viaEnv = await startupLines([], { MQA_MONITOR_TOKEN: token });
      expect(viaEnv).toContain("bearer token required");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
