/**
 * Starts a private `redis-server` for fault tests: a free port on loopback, its own data directory,
 * AOF with `appendfsync always` (every acknowledged write is on disk), and stop / kill / restart on
 * the same port and data. Killing or restarting it disturbs no other Redis. Exported for users' tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisLauncherOptions {
  /** Path of the server binary. @defaultValue "redis-server" */
  binary?: string;
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** AOF fsync policy. @defaultValue "always" */
  appendfsync?: "always" | "everysec" | "no";
  /** Extra `--name value` arguments (ACL users, TLS files, ...), appended as given. */
  args?: string[];
  /** Give up waiting for the server to answer after this long. @defaultValue 10000 */
  startTimeoutMs?: number;
  /**
   * Port the readiness check connects to, when the plain port is disabled (TLS only: `--port 0`).
   * Readiness is then "accepts TCP connections". @defaultValue the port
   */
  readyPort?: number;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

import { freePort } from "./ports.js";

export { freePort };

/** A redis-server child process with its own port and directory. */
export class RedisServerProcess {
  private child: ChildProcess | undefined;
  private output = "";

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisLauncherOptions,
  ) {}

  /** Start a server; resolves once it answers PING. */
  static async start(options: RedisLauncherOptions = {}): Promise<RedisServerProcess> {
    const port = options.port || (await freePort());
    const dir = await mkdtemp(join(tmpdir(), "mqa-redis-"));
    const server = new RedisServerProcess(port, dir, options);
    await server.launch();
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      this.options.appendfsync ?? "always",
      "--daemonize",
      "no",
      ...(this.options.args ?? []),
    ];
    const child = spawn(this.options.binary ?? "redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    child.stdout?.on("data", (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
    child.stderr?.on("data", (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
    await Promise.race([this.waitReady(), spawnError]);
  }

  private async waitReady(): Promise<void> {
    const end = Date.now() + (this.options.startTimeoutMs ?? 10_000);
    const port = this.options.readyPort ?? this.port;
    const plain = this.options.readyPort === undefined;
    while (Date.now() < end) {
      if (!this.running) throw new Error(`redis-server exited while starting:\n${this.output}`);
      if (await answers(port, plain)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${port} did not become ready:\n${this.output}`);
  }

  /** Stop with `signal` (SIGTERM: clean shutdown; SIGKILL: crash) and wait for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }

  /** Crash: SIGKILL, no shutdown work. */
  kill(): Promise<void> {
    return this.stop("SIGKILL");
  }

  /** Start again on the same port and data directory (AOF replayed). */
  async restart(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.launch();
  }

  /** Stop and delete the data directory. */
  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** True when something on `port` accepts a connection (and, if `ping`, answers PING with +PONG or -NOAUTH). */
function answers(port: number, ping: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => {
      if (!ping) return done(true);
      socket.write("PING\r\n");
    });
    socket.on("data", (b: Buffer) => {
      const reply = b.toString();
      // -LOADING means the AOF is still being replayed: not ready yet.
      done(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"));
    });
  });
}
