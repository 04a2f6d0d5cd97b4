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
  return program;
}

/** Run the CLI with `argv` (node, script, ...args). */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message = maskSecretsInText(err instanceof Error ? err.message : String(err));
    const code = err instanceof MqaError ? ` [${err.code}]` : "";
    process.stderr.write(`mqa: ${message}${code}\n`);
    process.exitCode = 2;
  }
}
