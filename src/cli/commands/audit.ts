/** `mqa audit <target>`: check a definitions file, spec, live RabbitMQ or live Redis for mistakes that lose data. */
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { MqaError } from "../../core/errors.js";
import { maskSecretsInText, maskUrl } from "../../core/redact.js";
import { auditTarget } from "../../audit/mod.js";
import { atOrAbove, SEVERITIES } from "../../audit/finding.js";
import type { Severity } from "../../audit/finding.js";
import { FORMATS, render } from "../../audit/reporters/mod.js";
import type { ReportFormat } from "../../audit/reporters/mod.js";
import { ProgressLine } from "../progress.js";
import { addConnectionOptions, resolveConnection, type ConnectionFlags } from "../connection.js";

interface AuditCliOptions extends ConnectionFlags {
  format: ReportFormat;
  json?: boolean;
  failOn?: Severity;
  sampleMs: number;
  vhost?: string;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return n;
}

/** Register `mqa audit`. Exit code: 0 clean, 1 a finding at/above --fail-on, 2 the audit could not run. */
export function registerAuditCommand(program: Command): void {
  const command = program
    .command("audit")
    .description(
      "audit a RabbitMQ definitions.json, rabbitmq.conf, advanced.config, redis.conf, an mqa spec, a directory or compose/Helm values file holding them, a live RabbitMQ (http://…:15672) or a live Redis (redis://…)",
    )
    .argument("<target>", "file or directory path, management URL (http://user:pass@host:15672) or redis://…")
    .addOption(new Option("--format <format>", "report format").choices([...FORMATS]).default("text"))
    .option("--json", "same as --format json")
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity").choices([
        ...SEVERITIES,
      ]),
    )
    .option("--vhost <name>", "RabbitMQ: audit only this virtual host (users and nodes are always checked)")
    .option(
      "--sample-ms <ms>",
      "Redis: wait between two samples of group lag to see growth (0 = one sample)",
      nonNegativeInt,
      1000,
    )
    .action(async (given: string, opts: AuditCliOptions) => {
      const format: ReportFormat = opts.json ? "json" : opts.format;
      const progress = new ProgressLine();
      try {
        const target = await auditUrl(given, opts);
        progress.update(`auditing ${maskUrl(target)} …`);
        const report = await auditTarget(target, { redis: { sampleMs: opts.sampleMs }, vhost: opts.vhost });
        progress.done();
        process.stdout.write(render(report, format));
        if (opts.failOn && report.findings.some((f) => atOrAbove(f.severity, opts.failOn!)))
          process.exitCode = 1;
      } catch (err) {
        progress.done();
        const message = err instanceof Error ? err.message : String(err);
        const code = MqaError.is(err) ? ` [${err.code}]` : "";
        process.stderr.write(`mqa audit: ${maskSecretsInText(message)}${code}\n`);
        process.exitCode = 2;
      }
    });
  addConnectionOptions(command);
}

/** A URL target with credentials merged (connection.ts); an AMQP URL is refused: the audit reads the management API. */
async function auditUrl(given: string, opts: ConnectionFlags): Promise<string> {
  if (/^amqps?:\/\//i.test(given))
    throw new MqaError(
      "invalid-options",
      `${maskUrl(given)} is an AMQP URL: give the management URL (http://…:15672) for a live RabbitMQ audit`,
    );
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? (await resolveConnection(given, opts)).url : given;
}
