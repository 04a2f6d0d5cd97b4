/**
 * A Redis where CONFIG is renamed away (as hardened and managed Redis services do): the audit must say it
 * cannot inspect the configuration instead of guessing. Runs its own redis-server on a free port, so the
 * shared server is never reconfigured; the process is killed afterwards.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { loadRedisLive } from "../../src/audit/sources/redis-live.js";

let server: ChildProcess | undefined;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), "mqa-audit-redis-"));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

beforeAll(async () => {
  port = await freePort();
  server = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--rename-command",
      "CONFIG",
      "",
    ],
    { stdio: "ignore" },
  );
  // The server needs a moment to listen: retry the first connection (bounded).
  let probe: Redis | undefined;
  for (let i = 0; i < 100 && !probe; i++) {
    const c = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on("error", () => undefined);
    try {
      await c.connect();
      probe = c;
    } catch {
      c.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!probe) throw new Error(`redis-server on port ${port} did not start`);
  await probe.xadd("orders", "*", "n", "1");
  await probe.quit();
});

afterAll(() => {
  server?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("live Redis with CONFIG renamed", () => {
  it("reports 'cannot inspect' and still audits ACLs and streams", async () => {
    const model = await loadRedisLive(`redis://127.0.0.1:${port}`, { sampleMs: 0 });
    expect(model.redis!.config).toBeUndefined();
    const findings = runAudit(model);
    const gap = findings.find((f) => f.ruleId === "redis-config-not-inspectable");
    expect(gap?.message).toMatch(/cannot inspect configuration: CONFIG GET failed: ERR unknown command/);
    expect(findings.some((f) => f.ruleId === "redis-appendonly-off")).toBe(false); // unknown, not assumed
    expect(findings.some((f) => f.ruleId === "redis-default-user-nopass")).toBe(true);
    expect(
      findings.some((f) => f.ruleId === "redis-stream-without-group" && f.resource === "stream orders"),
    ).toBe(true);
  });
});
