import { writeFile } from "node:fs/promises";
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { FAULT_KINDS } from "../../verify/fault-plan.js";
import type { FaultKind } from "../../verify/fault-plan.js";
import { formatVerifyMarkdown, formatVerifyText } from "../../verify/report.js";
import { runVerify } from "../../verify/run.js";
import { positiveInt } from "../args.js";
import { bar, ProgressLine } from "../progress.js";
import { connectFailureError, explainedConnectError, probeAmqp } from "../connect-failure.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

/** `--faults consumer-kill,poison` or `all` / `none`. */
function faultList(value: string): FaultKind[] {
  if (value === "all") return [...FAULT_KINDS];
  if (value === "none") return [];
  const kinds = value.split(",").map((s) => s.trim());
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k))
      throw new InvalidArgumentError(`unknown fault "${k}"; use ${FAULT_KINDS.join(", ")}, all or none`);
  }
  return kinds as FaultKind[];
}

/** `--durability-replicas 1`: a whole number from 0. */
function replicasArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 16)
    throw new InvalidArgumentError(`expected a whole number from 0 to 16, got "${value}"`);
  return n;
}

function seedArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new InvalidArgumentError(`expected a whole number from 0 to 4294967295, got "${value}"`);
  return n;
}

interface VerifyCliOptions extends ConnectionFlags {
  broker?: string;
  messages: number;
  consumers: number;
  faults?: FaultKind[];
  seed?: number;
  cluster?: number;
  durabilityReplicas?: number;
  json?: boolean;
  report?: string;
  spawnBroker?: boolean;
  prefetch: number;
  idleTimeout: number;
  keep?: boolean;
  workMs: number;
  testDropEvery?: number;
}

/** `mqa verify`: prove delivery guarantees under faults, reconcile every message. */
export function registerVerifyCommand(program: Command): void {
  const command = program
    .command("verify")
    .description(
      "publish sequence-numbered messages with confirms while consumers are killed, connections cut and poison " +
        "injected; then account for every message (exit 1 if any confirmed message was lost)",
    )
    .option("--broker <url>", "memory://, amqp://user@host:5672 or redis://host:6379 (or MQA_BROKER_URL)")
    .option("--messages <n>", "messages to publish", positiveInt, 2000)
    .option("--consumers <k>", "consumers (child processes where the broker allows)", positiveInt, 3)
    .option(
      "--faults <list>",
      `comma-separated: ${FAULT_KINDS.join(", ")}; or all / none (default: all but the cluster faults, ` +
        "which --cluster adds: kill-leader on RabbitMQ, kill-primary and move-slot on Redis)",
      faultList,
    )
    .option("--seed <s>", "seed of the fault plan, to repeat a run", seedArg)
    .option("--prefetch <n>", "deliveries each consumer holds at once", positiveInt, 50)
    .option(
      "--work-ms <ms>",
      "simulated work per message between recording it and its ack (where a kill leaves duplicates)",
      (v) => Number(v),
      1,
    )
    .option("--idle-timeout <seconds>", "give up when nothing moves for this long", positiveInt, 30)
    .option(
      "--spawn-broker",
      "start a broker of the URL's kind on a free port for this run (for broker-restart)",
    )
    .addOption(
      new Option(
        "--cluster [n]",
        "start a private cluster for this run: amqp:// n RabbitMQ nodes (kill-leader kills the queue leader's " +
          "node); redis:// a Redis Cluster of n primaries with a replica each (kill-primary, move-slot)",
      )
        .preset("3")
        .argParser(positiveInt),
    )
    .option(
      "--durability-replicas <n>",
      "redis:// only: a publish is confirmed once n replicas have the write (WAIT), else durability-not-met",
      replicasArg,
    )
    .option("--keep", "keep the run's topic, group and dead letters on the broker (removed by default)")
    .option("--json", "print one JSON object")
    .option("--report <file.md>", "also write a Markdown report for a design review")
    .addOption(
      new Option("--test-drop-every <n>", "TEST ONLY: a broken consumer acks every Nth message unprocessed")
        .argParser(positiveInt)
        .hideHelp(),
    )
    .action(async (opts: VerifyCliOptions) => {
      const connection = await resolveConnection(opts.broker, opts);
      if (/^amqps?:/i.test(connection.url) && !opts.spawnBroker && opts.cluster === undefined) {
        // The run's connections retry for 30 s without saying why; a cause no retry can fix is known at once.
        const failure = await probeAmqp(connection.url, connection.tls);
        if (failure?.fatal) throw connectFailureError(failure);
      }
      const progress = new ProgressLine(process.stderr, opts.json ? false : undefined);
      let report;
      try {
        report = await runVerify(
          {
            broker: connection.url,
            ...(connection.tls ? { tls: connection.tls } : {}),
            messages: opts.messages,
            consumers: opts.consumers,
            ...(opts.faults === undefined ? {} : { faults: opts.faults }),
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.cluster === undefined ? {} : { cluster: opts.cluster }),
            ...(opts.durabilityReplicas === undefined ? {} : { durabilityReplicas: opts.durabilityReplicas }),
            spawnBroker: opts.spawnBroker ?? false,
            prefetch: opts.prefetch,
            idleTimeoutMs: opts.idleTimeout * 1000,
            workMs: opts.workMs,
            cleanup: !opts.keep,
            ...(opts.testDropEvery === undefined ? {} : { testDropEvery: opts.testDropEvery }),
          },
          (p) =>
            progress.update(
              `${bar(p.consumed + p.deadLettering, p.total)} confirmed ${p.confirmed}/${p.total} · consumed ${p.consumed} · dup ${p.duplicates} · dlq ${p.deadLettering} · faults ${p.faultsInjected}`,
            ),
        );
      } catch (err) {
        throw explainedConnectError(err, connection.url);
      } finally {
        progress.done();
      }
      if (opts.report) await writeFile(opts.report, formatVerifyMarkdown(report));
      process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatVerifyText(report));
      if (report.lost > 0) process.exitCode = 1;
    });
  addConnectionOptions(command);
}
