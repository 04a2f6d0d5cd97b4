/**
 * Starts a private RabbitMQ node for fault tests: its own node name, ports, data, log and config
 * files in a temporary directory owned by user `rabbitmq`, so killing or restarting it disturbs no
 * other broker. Works as root (runs the node as `rabbitmq` through runuser) or as `rabbitmq` itself.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import amqp from "amqplib";

export interface RabbitMqLauncherOptions {
  /** Extra rabbitmq.conf lines, e.g. `consumer_timeout = 5000`. */
  config?: readonly string[];
  /** Erlang terms for advanced.config, e.g. `[{rabbit, [{channel_tick_interval, 500}]}].` @defaultValue "[]." */
  advancedConfig?: string;
  /** Path of RabbitMQ's `rabbitmq-server` script. @defaultValue "/usr/lib/rabbitmq/bin/rabbitmq-server" */
  serverScript?: string;
  /**
   * Also listen for AMQPS with certificates made for this node (a throwaway CA, a server certificate for
   * 127.0.0.1/localhost, and a client certificate the node requires). See `tlsUrl` and `clientTls`.
   * @defaultValue false
   */
  tls?: boolean;
  /** How long to wait for the node to accept AMQP connections. @defaultValue 60000 */
  bootTimeoutMs?: number;
  /**
   * Erlang cookie of the node (and of `ctl`), for nodes that must talk to each other (a cluster).
   * @defaultValue the cookie of user rabbitmq's home
   */
  erlangCookie?: string;
  /** Node name. @defaultValue `mqa-test-<pid>-<random>@localhost` */
  nodeName?: string;
}

import { freePort } from "./ports.js";

const DEFAULT_SERVER_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server";

export { freePort };

function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    return {
      uid: Number(execFileSync("id", ["-u", name]).toString().trim()),
      gid: Number(execFileSync("id", ["-g", name]).toString().trim()),
    };
  } catch {
    return undefined;
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/** A throwaway CA with a server certificate (localhost, 127.0.0.1) and a client certificate, via openssl. */
function makeCertificates(dir: string): { ca: string; clientCert: string; clientKey: string } {
  mkdirSync(dir, { recursive: true });
  const run = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=mqa-test-ca");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  for (const [name, cn, ext] of [
    ["server", "localhost", ["-extfile", "server.ext"]],
    ["client", "mqa-test-client", []],
  ] as const) {
    run("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      ...ext,
    );
  }
  const read = (f: string): string => readFileSync(join(dir, f), "utf8");
  return { ca: read("ca.pem"), clientCert: read("client.pem"), clientKey: read("client.key") };
}

/** A private RabbitMQ node: `start()`, then `url`; `restart()`, `kill()`, `stop()`. */
export class RabbitMqLauncher {
  readonly nodeName: string;
  private dir: string | undefined;
  private process: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private nodePort = 0;
  private distPort = 0;
  private sslPort = 0;
  private client: { ca: string; cert: string; key: string } | undefined;

  constructor(private readonly options: RabbitMqLauncherOptions = {}) {
    if (options.erlangCookie !== undefined && !/^[A-Za-z0-9]{16,255}$/.test(options.erlangCookie))
      throw new Error("RabbitMqLauncher option erlangCookie must be 16 to 255 letters or digits");
    this.nodeName =
      options.nodeName ?? `mqa-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}@localhost`;
  }

  /** True while the node's process runs (started and neither killed nor stopped). */
  get running(): boolean {
    const child = this.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Run `rabbitmqctl <args>` against this node (as user rabbitmq, with the node's cookie); resolves with
   * its standard output, rejects with its standard error.
   */
  ctl(args: readonly string[], timeoutMs = 60_000): Promise<string> {
    const script = join(dirname(this.options.serverScript ?? DEFAULT_SERVER_SCRIPT), "rabbitmqctl");
    const cookie = this.options.erlangCookie ? ["--erlang-cookie", this.options.erlangCookie] : [];
    const ctlArgs = ["-n", this.nodeName, ...cookie, ...args];
    const [cmd, all] =
      process.getuid?.() === 0
        ? ["runuser", ["-u", "rabbitmq", "--", script, ...ctlArgs]]
        : [script, ctlArgs];
    return new Promise((resolve, reject) => {
      execFile(
        cmd,
        all,
        {
          timeout: timeoutMs,
          cwd: "/",
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
        },
        (err, stdout, stderr) => {
          if (err)
            reject(
              new Error(
                `rabbitmqctl ${args.join(" ")} on ${this.nodeName} failed: ${stderr.trim() || err.message}`,
              ),
            );
          else resolve(stdout);
        },
      );
    });
  }

  /** AMQP port of the node. */
  get port(): number {
    if (!this.nodePort) throw new Error("RabbitMqLauncher is not started; call start() first");
    return this.nodePort;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>` */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** `amqps://guest:guest@127.0.0.1:<tls port>` (with `tls: true`). */
  get tlsUrl(): string {
    if (!this.sslPort) throw new Error("RabbitMqLauncher was not started with tls: true");
    return `amqps://guest:guest@127.0.0.1:${this.sslPort}`;
  }

  /** PEM CA certificate, client certificate and key accepted by the node (with `tls: true`). */
  get clientTls(): { ca: string; cert: string; key: string } {
    if (!this.client) throw new Error("RabbitMqLauncher was not started with tls: true");
    return this.client;
  }

  /** Create the node's directory and start it; resolves when it accepts AMQP connections. */
  async start(): Promise<void> {
    if (!this.dir) await this.prepare();
    const dir = this.dir!;
    const script = this.options.serverScript ?? DEFAULT_SERVER_SCRIPT;
    if (!existsSync(script)) throw new Error(`RabbitMQ is not installed: ${script} is missing`);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: "/var/lib/rabbitmq",
      LANG: "C.UTF-8",
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_NODE_PORT: String(this.nodePort),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(dir, "log"),
      RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
      RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
      RABBITMQ_PID_FILE: join(dir, "rabbit.pid"),
      ERL_EPMD_ADDRESS: "127.0.0.1",
      ...(this.options.erlangCookie
        ? { RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-setcookie ${this.options.erlangCookie}` }
        : {}),
    };
    const self = userIds("rabbitmq");
    const asRoot = process.getuid?.() === 0;
    if (!asRoot && self && process.getuid?.() !== self.uid)
      throw new Error("RabbitMqLauncher must run as root or as user rabbitmq");
    const [cmd, args] = asRoot ? ["runuser", ["-u", "rabbitmq", "--", script]] : [script, []];
    const child = spawn(cmd, args as string[], { env, detached: true, stdio: "ignore", cwd: dir });
    this.process = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    await this.waitUntilAnswering();
  }

  private async prepare(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "mqa-rabbitmq-"));
    this.dir = dir;
    this.nodePort = await freePort();
    this.distPort = await freePort();
    const tlsConf: string[] = [];
    if (this.options.tls) {
      this.sslPort = await freePort();
      const t = makeCertificates(join(dir, "tls"));
      this.client = { ca: t.ca, cert: t.clientCert, key: t.clientKey };
      tlsConf.push(
        `listeners.ssl.1 = 127.0.0.1:${this.sslPort}`,
        `ssl_options.cacertfile = ${join(dir, "tls", "ca.pem")}`,
        `ssl_options.certfile = ${join(dir, "tls", "server.pem")}`,
        `ssl_options.keyfile = ${join(dir, "tls", "server.key")}`,
        "ssl_options.verify = verify_peer",
        "ssl_options.fail_if_no_peer_cert = true",
      );
    }
    const conf = [
      `listeners.tcp.1 = 127.0.0.1:${this.nodePort}`,
      ...tlsConf,
      "loopback_users.guest = true",
      "disk_free_limit.absolute = 10MB",
      "log.console = false",
      "log.file.level = info",
      ...(this.options.config ?? []),
    ];
    writeFileSync(join(dir, "rabbitmq.conf"), conf.join("\n") + "\n");
    writeFileSync(join(dir, "advanced.config"), (this.options.advancedConfig ?? "[].") + "\n");
    // No plugins: the management plugin would try to take the shared broker's port 15672.
    writeFileSync(join(dir, "enabled_plugins"), "[].\n");
    writeFileSync(join(dir, "rabbitmq-env.conf"), "");
    const ids = userIds("rabbitmq");
    if (process.getuid?.() === 0 && ids) chownTree(dir, ids.uid, ids.gid);
  }

  private async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + (this.options.bootTimeoutMs ?? 60_000);
    let exited = false;
    void this.exited?.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`RabbitMQ node ${this.nodeName} exited while booting:\n${this.logTail()}`);
      try {
        const c = await amqp.connect(this.url, { timeout: 1000 });
        await c.close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`RabbitMQ node ${this.nodeName} did not answer in time:\n${this.logTail()}`);
  }

  /** The last lines of the node's log, for failure messages. */
  logTail(lines = 30): string {
    if (!this.dir) return "";
    const logDir = join(this.dir, "log");
    if (!existsSync(logDir)) return "(no log yet)";
    return readdirSync(logDir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => readFileSync(join(logDir, f), "utf8").split("\n").slice(-lines).join("\n"))
      .join("\n");
  }

  private async signal(sig: NodeJS.Signals, waitMs: number): Promise<boolean> {
    const child = this.process;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return true;
    try {
      process.kill(-child.pid, sig);
    } catch {
      return true;
    }
    return Promise.race([
      this.exited!.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), waitMs)),
    ]);
  }

  /** Stop the node gracefully (SIGTERM), killing it if it does not stop within 20 s. Keeps its data. */
  async shutdown(): Promise<void> {
    if (!(await this.signal("SIGTERM", 20_000))) await this.signal("SIGKILL", 5_000);
    await this.waitForDistPortFree();
    this.process = undefined;
  }

  /** Kill the node at once (SIGKILL), as a crash would. Keeps its data. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL", 5_000);
    await this.waitForDistPortFree();
    this.process = undefined;
  }

  /** Stop (gracefully) and start again on the same ports and data. */
  async restart(): Promise<void> {
    await this.shutdown();
    await this.start();
  }

  private async waitForDistPortFree(): Promise<void> {
    // The old VM must be gone from epmd before a node of the same name can start again.
    for (let i = 0; i < 40; i++) {
      const free = await new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(this.distPort, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      if (free) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Stop the node and delete its directory. Safe to call twice. */
  async stop(): Promise<void> {
    await this.shutdown();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    this.nodePort = 0;
    this.sslPort = 0;
    this.client = undefined;
  }
}
