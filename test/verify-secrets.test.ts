/**
 * `mqa verify`'s consumer processes get their config (the broker URL with its password) over IPC, never in
 * argv, where `ps` shows it to every user of the machine (issue 13, item 7). Runs the built bin against a
 * private redis-server that requires a password, and reads each worker's /proc/<pid>/cmdline and environ.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServerProcess } from "../src/brokers/local/redis-launcher.js";

const bin = new URL("../bin/mqa.js", import.meta.url).pathname;
const secret = `pw-${randomBytes(8).toString("hex")}`;
let redis: RedisServerProcess;
let dir: string;

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendfsync: "no", args: ["--requirepass", secret] });
  dir = await mkdtemp(join(tmpdir(), "mqa-verify-secret-"));
  await writeFile(join(dir, "password"), `${secret}\n`, { mode: 0o600 });
}, 30_000);

afterAll(async () => {
  await redis?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Processes whose parent is `ppid`, with their argv and environment as the kernel shows them. */
async function children(ppid: number): Promise<Array<{ pid: number; argv: string; env: string }>> {
  const found: Array<{ pid: number; argv: string; env: string }> = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent !== ppid) continue;
      const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ");
      const env = (await readFile(`/proc/${entry}/environ`, "utf8")).replaceAll("\0", "\n");
      found.push({ pid: Number(entry), argv, env });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe.skipIf(process.platform !== "linux")("mqa verify keeps the broker password out of argv", () => {
  it("its worker processes' argv and environment hold no password", async () => {
    const url = `redis://:${secret}@127.0.0.1:${redis.port}`;
    const child = spawn(
      process.execPath,
      [
        bin,
        "verify",
        "--password-file",
        join(dir, "password"),
        "--broker",
        `redis://127.0.0.1:${redis.port}`,
        "--json",
        "--messages",
        "3000",
        "--consumers",
        "2",
        "--faults",
        "none",
        "--work-ms",
        "2",
      ],
      { stdio: ["ignore", "pipe", "pipe"] }, // the CLI's own argv holds no password either
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let running = true;
    void exited.then(() => (running = false));
    const workers = new Map<number, { argv: string; env: string }>();
    while (running) {
      for (const c of await children(child.pid!))
        if (c.argv.includes("worker-entry")) workers.set(c.pid, { argv: c.argv, env: c.env });
      await new Promise((r) => setTimeout(r, 20));
    }
    const code = await exited;
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ lost: 0 });
    expect(workers.size).toBeGreaterThanOrEqual(1); // the check saw the workers it is about
    for (const w of workers.values()) {
      expect(w.argv).not.toContain(secret);
      expect(w.argv).not.toContain(url);
      expect(w.env).not.toContain(secret);
    }
  }, 120_000);
});
