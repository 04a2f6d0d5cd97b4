/**
 * Entry of a verify consumer child process (compiled to dist/verify/worker-entry.js and started with
 * `fork`). Receives its {@link WorkerConfig} as the first IPC message (never in argv, where `ps` would show
 * the broker's password), reports over IPC, and waits for each
 * report to be written before acking, so what it processed is known to the coordinator even if it is
 * SIGKILLed a moment later.
 */
import { createTransport } from "../connect.js";
import { maskSecretsInText } from "../core/redact.js";
import type { WorkerConfig, WorkerEvent } from "./worker.js";
import { startVerifyWorker, workerConnectOptions } from "./worker.js";

/** Messages from the coordinator: the config first, then at most a stop. */
export type CoordinatorMessage = { t: "config"; config: WorkerConfig } | { t: "stop" };
/** Messages to the coordinator. */
export type ChildMessage = WorkerEvent | { t: "ready" } | { t: "error"; message: string };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("verify worker must be started with an IPC channel"));
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

/** The first message from the coordinator: this worker's config. */
function receiveConfig(): Promise<WorkerConfig> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("verify worker must be started with an IPC channel"));
    const onMessage = (m: CoordinatorMessage): void => {
      if (m.t !== "config") return;
      process.off("message", onMessage);
      resolve(m.config);
    };
    process.on("message", onMessage);
  });
}

async function main(): Promise<void> {
  // The coordinator is gone (before or after the config): nobody would hear our reports, so stop without
  // acking more.
  process.on("disconnect", () => process.exit(0));
  const config = await receiveConfig();
  const transport = await createTransport(config.url, workerConnectOptions(config));
  const { router } = await startVerifyWorker(transport, config, send);
  process.on("message", (m: CoordinatorMessage) => {
    if (m.t !== "stop") return;
    void (async () => {
      await router.stop({ timeoutMs: 5000 });
      await transport.close({ timeoutMs: 5000 });
      process.exit(0);
    })();
  });
  await send({ t: "ready" });
}

main().catch(async (err: unknown) => {
  const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
  await send({ t: "error", message }).catch(() => undefined);
  process.exit(1);
});
