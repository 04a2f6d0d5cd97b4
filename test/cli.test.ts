import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { freePort } from "../src/testing/mod.js";
import { mqa, mqaWithEnv } from "./support/cli.js";

const bin = new URL("../bin/mqa.js", import.meta.url).pathname;

describe("mqa CLI (built bin)", () => {
  it("prints help and version", async () => {
    const help = await mqa("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("demo");
    const version = await mqa("--version");
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("demo --json reconciles every order on the embedded broker", async () => {
    const r = await mqa("demo", "--json", "--orders", "60");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & {
      deadLetters: Array<{ reason: string }>;
    };
    expect(report["published"]).toBe(60);
    expect(report["lost"]).toBe(0);
    expect(report["duplicates"]).toBe(0);
    expect(report["processed"]).toBe(57);
    expect(report["deadLettered"]).toBe(3);
    expect(report["retried"]).toBeGreaterThan(0);
    expect(report.deadLetters.map((d) => d.reason).sort()).toEqual([
      "invalid-payload",
      "max-attempts",
      "max-attempts",
    ]);
  });

  it("rejects bad input with a clear message", async () => {
    const orders = await mqa("demo", "--orders", "-3");
    expect(orders.code).not.toBe(0);
    expect(orders.stderr).toMatch(/positive whole number/);
    const scheme = await mqa("demo", "--broker", "kafka://user:topsecret@host:9092");
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(/unknown broker URL scheme/);
    expect(scheme.stderr).not.toContain("topsecret");
  });

  it("ends quietly when the reader of its output goes away (mqa … | head)", async () => {
    const fixture = new URL("./audit/fixtures/bad-definitions.json", import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, "audit", fixture, "--format", "sarif"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout.destroy(); // the reader is gone before the first write, as with `| head -c 0`
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error'/);
    expect(code).toBe(0);
  });

  it("says while it retries an unreachable broker, and gives up after MQA_CONNECT_TIMEOUT_MS", async () => {
    const port = await freePort(); // nothing listens there
    for (const broker of [`redis://127.0.0.1:${port}`, `amqp://guest:s3cret-pw@127.0.0.1:${port}`]) {
      const r = await mqaWithEnv(
        { MQA_CONNECT_TIMEOUT_MS: "1500" },
        "publish",
        "--broker",
        broker,
        "--topic",
        "t",
        "{}",
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/no connection to \S+ yet \(attempt \d+/);
      expect(r.stderr).toMatch(/within 1500 ms/);
      expect(r.stderr).not.toContain("s3cret-pw");
    }
    const bad = await mqaWithEnv(
      { MQA_CONNECT_TIMEOUT_MS: "soon" },
      "publish",
      "--broker",
      "redis://x",
      "--topic",
      "t",
      "{}",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/MQA_CONNECT_TIMEOUT_MS must be a positive integer/);
  });
});
