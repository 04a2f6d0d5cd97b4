/**
 * Entry of a verify consumer child process (compiled to dist/verify/worker-entry.js and started with
 * `fork`). Receives its {@link WorkerConfig} as JSON in argv, reports over IPC, and waits for each
 * report to be written before acking, so what it processed is known to the coordinator even if it is
 * SIGKILLed a moment later.
 */
import { createTransport } from "../connect.js";
import { maskSecretsInText } from "../core/redact.js";
import type { WorkerConfig, WorkerEvent } from "./worker.js";
import { startVerifyWorker } from "./worker.js";

/** Messages from the coordinator. */
export type CoordinatorMessage = { t: "stop" };
/** Messages to the coordinator. */
export type ChildMessage = WorkerEvent | { t: "ready" } | { t: "error"; message: string };

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("verify worker must be started with an IPC channel"));
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig;
  const transport = await createTransport(config.url);
  const { router } = await startVerifyWorker(transport, config, send);
  process.on("message", (m: CoordinatorMessage) => {
    if (m.t !== "stop") return;
    void (async () => {
      await router.stop({ timeoutMs: 5000 });
      await transport.close({ timeoutMs: 5000 });
      process.exit(0);
    })();
  });
  // The coordinator is gone: nobody would hear our reports, so stop without acking more.
  process.on("disconnect", () => process.exit(0));
  await send({ t: "ready" });
}

main().catch(async (err: unknown) => {
  const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
  await send({ t: "error", message }).catch(() => undefined);
  process.exit(1);
});
