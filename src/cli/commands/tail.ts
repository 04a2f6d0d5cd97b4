import type { Command } from "commander";
import { maskUrl } from "../../core/redact.js";
import { openTail } from "../../tail/tail.js";
import { positiveInt } from "../args.js";
import { messageLine } from "../message-json.js";

/** `mqa tail`: follow new messages on a topic without disturbing any group. */
export function registerTailCommand(program: Command): void {
  program
    .command("tail")
    .description("follow new messages on a topic, one JSON line each, without taking them from any group")
    .requiredOption("--broker <url>", "memory://, amqp://user:pass@host:5672 or redis://host:6379")
    .requiredOption("--topic <topic>", "topic to follow")
    .option("--count <n>", "stop after this many messages", positiveInt)
    .action(async (opts: { broker: string; topic: string; count?: number }) => {
      let seen = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const tail = await openTail(opts.broker, opts.topic, (m) => {
        if (opts.count !== undefined && seen >= opts.count) return;
        seen++;
        process.stdout.write(`${messageLine(m)}\n`);
        if (opts.count !== undefined && seen >= opts.count) finish();
      });
      process.stderr.write(
        `mqa tail: following ${opts.topic} on ${maskUrl(opts.broker)} via ${tail.method}\n`,
      );
      process.once("SIGINT", finish);
      process.once("SIGTERM", finish);
      await finished;
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      await tail.close();
    });
}
