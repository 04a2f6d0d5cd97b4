import type { Command } from "commander";

import { openCliTransport } from "../transport.js";
import { addConnectionOptions, resolveConnection, withTls, type ConnectionFlags } from "../connection.js";
import { maskUrl } from "../../core/redact.js";
import { removeDemoTopics } from "../../demo/cleanup.js";
import { writeFile } from "node:fs/promises";
import { DEMO_NAMESPACE, demoOrderId, runDemo } from "../../demo/pipeline.js";
import { startDemoTracing, traceIdOf, tracedOrderNumber, type DemoTracing } from "../../demo/trace.js";
import { formatSpanTree, type SpanRecord } from "../../demo/trace-tree.js";
import type { DemoReport } from "../../demo/pipeline.js";
import { bar, ProgressLine } from "../progress.js";
import { positiveInt } from "../args.js";

/** `mqa demo`: the order pipeline on any broker, with a reconciliation report. */
export function registerDemoCommand(program: Command): void {
  const command = program
    .command("demo")
    .description(
      "run an order pipeline (orders → payment → notification) with retries and dead letters, then reconcile",
    )
    .option("--broker <url>", "memory://, amqp://user:pass@host:5672 or redis://host:6379", "memory://")
    .option("--orders <n>", "how many orders to publish", positiveInt, 50)
    .option(
      "--namespace <name>",
      "topics are <name>.orders and <name>.payments (give each concurrent run on a shared broker its own)",
      DEMO_NAMESPACE,
    )
    .option("--keep", "keep the run's topics, queues and dead letters on the broker (removed by default)")
    .option(
      "--trace",
      "trace the run with OpenTelemetry (in memory, no backend needed) and print the trace of one order",
    )
    .option("--trace-file <path>", "write every span of the run to this file, one JSON object a line")
    .option("--json", "print one JSON object instead of the report")
    .action(
      async (
        opts: {
          broker: string;
          orders: number;
          namespace: string;
          keep?: boolean;
          json?: boolean;
          trace?: boolean;
          traceFile?: string;
        } & ConnectionFlags,
      ) => {
        const connection = await resolveConnection(opts.broker, opts);
        let tracing: DemoTracing | undefined;
        if (opts.trace || opts.traceFile !== undefined) {
          const started = await startDemoTracing();
          if (typeof started === "string") process.stderr.write(`${started}\n`);
          else tracing = started;
        }
        const opened = await openCliTransport(connection.url, withTls({}, connection.tls));
        const transport = tracing ? await tracing.wrap(opened) : opened;
        const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
        // What the run declared is removed when it ends, and on Ctrl-C too, unless --keep.
        const cleanUp = async (): Promise<void> => {
          if (opts.keep) return;
          await removeDemoTopics(connection.url, opts.namespace, connection.tls).catch((err: unknown) =>
            process.stderr.write(
              `could not remove the demo topics ${opts.namespace}.*: ${err instanceof Error ? err.message : String(err)}\n`,
            ),
          );
        };
        let onSignal = (): void => undefined;
        const interrupted = new Promise<"interrupted">((resolve) => {
          onSignal = () => resolve("interrupted");
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
        });
        let outcome: DemoReport | "interrupted";
        try {
          const run = runDemo({
            transport,
            brokerLabel: maskUrl(opts.broker),
            orders: opts.orders,
            namespace: opts.namespace,
            onProgress: (p) =>
              progress.update(
                `${bar(p.processed + p.deadLettered, p.total)} published ${p.published}/${p.total} · processed ${p.processed} · retried ${p.retried} · dead-lettered ${p.deadLettered}`,
              ),
          });
          run.catch(() => undefined); // after an interruption its failure (a closed transport) is expected
          outcome = await Promise.race([run, interrupted]);
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          progress.done();
        }
        if (outcome === "interrupted") {
          await transport.close({ timeoutMs: 1000 }).catch(() => transport.abort());
          await cleanUp();
          process.stderr.write(
            `interrupted${opts.keep ? "" : `: removed ${opts.namespace}.orders and ${opts.namespace}.payments`}\n`,
          );
          process.exit(130); // the abandoned run's timers would keep the process alive
        }
        await transport.close({ timeoutMs: 5000 });
        await cleanUp();
        if (!opts.keep && !connection.url.startsWith("memory:"))
          process.stderr.write(
            `removed ${opts.namespace}.orders and ${opts.namespace}.payments from the broker (--keep keeps them)\n`,
          );
        const report = outcome;
        const trace = tracing ? await traceOfOneOrder(tracing, report, opts) : undefined;
        if (opts.json) process.stdout.write(`${JSON.stringify(trace ? { ...report, trace } : report)}\n`);
        else process.stdout.write(formatReport(report) + (trace ? formatTrace(trace) : ""));
        if (report.lost > 0) process.exitCode = 1;
      },
    );
  addConnectionOptions(command);
}

interface OrderTrace {
  orderId: string;
  traceId: string | undefined;
  spans: SpanRecord[];
  file: string | undefined;
}

/** The spans of one order (and, with --trace-file, every span of the run written to the file). */
async function traceOfOneOrder(
  tracing: DemoTracing,
  report: DemoReport,
  opts: { namespace: string; traceFile?: string },
): Promise<OrderTrace> {
  const all = tracing.spans(); // before close: shutting the provider down empties its in-memory exporter
  await tracing.close();
  if (opts.traceFile !== undefined)
    await writeFile(opts.traceFile, all.map((s) => JSON.stringify(s)).join("\n") + "\n");
  const orderId = demoOrderId(report.runId, tracedOrderNumber(report.total));
  const traceId = traceIdOf(all, `${opts.namespace}.orders`, orderId);
  return { orderId, traceId, spans: all.filter((s) => s.traceId === traceId), file: opts.traceFile };
}

function formatTrace(t: OrderTrace): string {
  const file = t.file === undefined ? "" : `  every span of the run: ${t.file}\n`;
  if (t.traceId === undefined) return `  no trace recorded for order ${t.orderId}\n${file}`;
  const tree = formatSpanTree(t.spans, t.traceId)
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
  return `  trace of order ${t.orderId} (trace id ${t.traceId}):\n${tree}\n\n${file}`;
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
