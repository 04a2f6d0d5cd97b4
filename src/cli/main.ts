/**
 * The `mqa` command line: thin commands over the library. Each command lives in commands/<name>.ts
 * and registers itself here.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { MqaError } from "../core/errors.js";
import { maskSecretsInText } from "../core/redact.js";
import { registerAuditCommand } from "./commands/audit.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerTopologyCommand } from "./commands/topology.js";
import { registerVerifyCommand } from "./commands/verify.js";
import { registerPublishCommand } from "./commands/publish.js";
import { registerConsumeCommand } from "./commands/consume.js";
import { registerTailCommand } from "./commands/tail.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerMonitorCommand } from "./commands/monitor.js";
import { registerDesignCommand } from "./commands/design.js";
import { registerDlqCommand } from "./commands/dlq.js";
import { registerReplayCommand } from "./commands/replay.js";
import { registerTraceCommand } from "./commands/trace.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Build the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command("mqa")
    .description("reliable messaging on RabbitMQ and Redis Streams: library, topology, audit, verify, bench")
    .version(pkg.version, "-v, --version")
    .showHelpAfterError();
  registerDemoCommand(program);
  registerTopologyCommand(program);
  registerAuditCommand(program);
  registerVerifyCommand(program);
  registerPublishCommand(program);
  registerConsumeCommand(program);
  registerTailCommand(program);
  registerBenchCommand(program);
  registerMonitorCommand(program);
  registerDesignCommand(program);
  registerDlqCommand(program);
  registerReplayCommand(program);
  registerTraceCommand(program);
  return program;
}

/**
 * Run the CLI with `argv` (node, script, ...args), then exit once stdout and stderr are flushed.
 *
 * Every command awaits its own end (long-running ones until SIGINT/SIGTERM), so when parseAsync
 * settles the work is done. Exiting explicitly instead of letting the event loop drain avoids a
 * Node.js shutdown bug seen here after `mqa verify` with connection cuts: the process printed its
 * report and then spun at 100 % CPU in Environment::CleanupHandles, never exiting (in about one run
 * out of five; nodejs/node#47748 describes the same symptom).
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  // A failure nothing caught (a client's unhandled `error` event, a stray rejection) ends the command with
  // one line saying what failed, never a stack trace with a URL in it; MQA_DEBUG=1 shows the stack.
  process.on("uncaughtException", (err) => fail(err, 2, true));
  process.on("unhandledRejection", (err) => fail(err, 2, true));
  // `mqa … | head`: the reader went away; that is the end of the output, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    fail(err, 2, false);
  }
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}

/** Say what failed on one line (the stack too with `MQA_DEBUG=1`), masked; exit at once if `now`. */
function fail(err: unknown, exitCode: number, now: boolean): void {
  const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
  const code = err instanceof MqaError ? ` [${err.code}]` : "";
  process.stderr.write(`mqa: ${message}${code}\n`);
  if (process.env["MQA_DEBUG"] === "1" && err instanceof Error && err.stack)
    process.stderr.write(`${maskSecretsInText(err.stack)}\n`);
  process.exitCode = exitCode;
  if (now) void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit());
}

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write("", () => resolve());
  });
}
