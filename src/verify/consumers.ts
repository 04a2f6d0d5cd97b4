/**
 * Verify consumers, as real child processes (killed with SIGKILL) or, for a broker that lives inside
 * this process (`features.crossProcess` false, i.e. memory://), in-process (killed with
 * `transport.abort()`, which drops the consumer's connection as a crash would).
 */
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createTransport } from "../connect.js";
import { MqaError } from "../core/errors.js";
import type { Transport } from "../core/transport.js";
import type { ChildMessage, CoordinatorMessage } from "./worker-entry.js";
import type { VerifyWorker, WorkerConfig, WorkerEvent } from "./worker.js";
import { startVerifyWorker, workerConnectOptions } from "./worker.js";

/** One consumer of a verify run. */
export interface VerifyConsumer {
  readonly id: number;
  readonly kind: "process" | "in-process";
  /** Process id of a child consumer. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** Crash it: SIGKILL, or drop its connection at once. Nothing it held is acked. */
  kill(): Promise<void>;
  /** Graceful stop: finish in-flight messages, ack, detach. */
  stop(): Promise<void>;
}

/** Where the compiled child entry lives (also when this module runs from src/ under a test runner). */
export function workerEntryPath(): string {
  const here = fileURLToPath(import.meta.url);
  const path = here.endsWith(".ts")
    ? here.replace(/[/\\]src[/\\]verify[/\\]consumers\.ts$/, "/dist/verify/worker-entry.js")
    : here.replace(/consumers\.js$/, "worker-entry.js");
  if (!existsSync(path))
    throw new MqaError(
      "unsupported",
      `verify consumer entry ${path} is missing; run \`npm run build\` first`,
    );
  return path;
}

/** A consumer in a child process. */
export class ChildConsumer implements VerifyConsumer {
  readonly kind = "process";
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = "";

  constructor(
    readonly id: number,
    private readonly config: WorkerConfig,
    private readonly onEvent: (e: WorkerEvent) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    // The config (the URL with its password) goes over IPC, never in argv, where `ps` would show it.
    const child = fork(workerEntryPath(), [], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.child = child;
    child.send({ t: "config", config: this.config } satisfies CoordinatorMessage);
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("did not subscribe within 60 s")), 60_000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(
          new MqaError("connection-closed", `verify consumer ${this.id} failed to start: ${err.message}`, {
            cause: err,
          }),
        );
      };
      child.on("message", (m: ChildMessage) => {
        if (m.t === "ready") {
          clearTimeout(timer);
          resolve();
        } else if (m.t === "error") fail(new Error(m.message));
        else this.onEvent(m);
      });
      child.once("exit", (code, signal) =>
        fail(new Error(`exited (${signal ?? code}) ${this.stderrTail.trim().slice(-500)}`)),
      );
    });
  }

  async kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ t: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A consumer in this process, with its own transport (its own connection to the broker). */
export class InProcessConsumer implements VerifyConsumer {
  readonly kind = "in-process";
  readonly pid = undefined;
  private transport: Transport | undefined;
  private worker: VerifyWorker | undefined;
  private dead = false;

  constructor(
    readonly id: number,
    private readonly config: WorkerConfig,
    private readonly onEvent: (e: WorkerEvent) => void,
  ) {}

  async start(): Promise<void> {
    this.transport = await createTransport(this.config.url, workerConnectOptions(this.config));
    // A killed process reports nothing more; neither does a killed in-process consumer.
    this.worker = await startVerifyWorker(this.transport, this.config, async (e) => {
      if (!this.dead) this.onEvent(e);
    });
  }

  async kill(): Promise<void> {
    // Strike mid-batch, while it holds processed but unacked messages (as a SIGKILL mid-batch would).
    // In one process, timers line up with the end of a batch often enough to miss it otherwise.
    const worker = this.worker;
    for (let i = 0; i < 2000 && worker && worker.inFlight() === 0; i++) {
      await new Promise((r) => setImmediate(r));
    }
    this.dead = true;
    await this.transport?.abort();
  }

  async stop(): Promise<void> {
    if (this.dead) return;
    await this.worker?.router.stop({ timeoutMs: 5000 });
    await this.transport?.close({ timeoutMs: 5000 });
  }
}
