import type { Command } from "commander";

import { cliTransport } from "../transport.js";
import { maskUrl } from "../../core/redact.js";
import { runDemo } from "../../demo/pipeline.js";
import type { DemoReport } from "../../demo/pipeline.js";
import { bar, ProgressLine } from "../progress.js";
import { positiveInt } from "../args.js";

/** `mqa demo`: the order pipeline on any broker, with a reconciliation report. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run an order pipeline (orders → payment → notification) with retries and dead letters, then reconcile",
    )
    .option("--broker <url>", "memory://, amqp://user:pass@host:5672 or redis://host:6379", "memory://")
    .option("--orders <n>", "how many orders to publish", positiveInt, 50)
    .option("--json", "print one JSON object instead of the report")
    .action(async (opts: { broker: string; orders: number; json?: boolean }) => {
      const transport = await cliTransport(opts.broker);
      const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
      let report: DemoReport;
      try {
        report = await runDemo({
          transport,
          brokerLabel: maskUrl(opts.broker),
          orders: opts.orders,
          onProgress: (p) =>
            progress.update(
              `${bar(p.processed + p.deadLettered, p.total)} published ${p.published}/${p.total} · processed ${p.processed} · retried ${p.retried} · dead-lettered ${p.deadLettered}`,
            ),
        });
      } finally {
        progress.done();
        await transport.close({ timeoutMs: 5000 });
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(formatReport(report));
      if (report.lost > 0) process.exitCode = 1;
    });
}

function formatReport(r: DemoReport): string {
  const lines = [
    `mqa demo on ${r.broker} (run ${r.runId}, ${(r.durationMs / 1000).toFixed(1)} s)`,
    "",
    `  published      ${r.published}`,
    `  processed      ${r.processed}   (revenue ${r.revenue} EUR, computed in cents)`,
    `  retried        ${r.retried}   (transient failures, retried with exponential backoff)`,
    `  dead-lettered  ${r.deadLettered}`,
    `  duplicates     ${r.duplicates}`,
    `  lost           ${r.lost}${r.lost === 0 ? "   ✓ every order accounted for" : "   ✗ MESSAGES LOST"}`,
    "",
  ];
  if (r.deadLetters.length > 0) {
    lines.push("  dead letters (reason, attempts, error):");
    for (const d of r.deadLetters) {
      lines.push(
        `    ${d.orderId ?? "?"}  ${d.reason.padEnd(15)} ${String(d.attempts).padStart(2)}  ${d.error ?? ""}`,
      );
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}
