/** `mqa audit <target>`: check a definitions file, spec, live RabbitMQ or live Redis for mistakes that lose data. */
import { Option } from "commander";
import type { Command } from "commander";
import { MqaError } from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import { auditTarget } from "../../audit/mod.js";
import { atOrAbove, parseSeverity, SEVERITIES } from "../../audit/finding.js";
import { FORMATS, render } from "../../audit/reporters/mod.js";
import type { ReportFormat } from "../../audit/reporters/mod.js";

interface AuditCliOptions {
  format: ReportFormat;
  json?: boolean;
  failOn?: string;
  sampleMs: string;
}

/** Register `mqa audit`. Exit code: 0 clean, 1 findings at/above --fail-on, 2 the audit could not run. */
export function registerAuditCommand(program: Command): void {
  program
    .command("audit")
    .description(
      "audit a RabbitMQ definitions.json, an mqa spec, a live RabbitMQ (http://…:15672) or a live Redis (redis://…)",
    )
    .argument("<target>", "file path, management URL (http://user:pass@host:15672) or redis://…")
    .addOption(new Option("--format <format>", "report format").choices([...FORMATS]).default("text"))
    .option("--json", "same as --format json")
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a finding is at or above this severity").choices([
        ...SEVERITIES,
      ]),
    )
    .option(
      "--sample-ms <ms>",
      "Redis: wait between two samples of group lag to detect growth (0 = one sample)",
      "1000",
    )
    .action(async (target: string, opts: AuditCliOptions) => {
      const format: ReportFormat = opts.json ? "json" : opts.format;
      const sampleMs = Number(opts.sampleMs);
      try {
        if (!Number.isInteger(sampleMs) || sampleMs < 0)
          throw new MqaError("invalid-options", "--sample-ms must be a whole number of milliseconds ≥ 0");
        if (process.stderr.isTTY && format !== "json")
          process.stderr.write(`auditing ${maskSecretsInText(target)} …\n`);
        const report = await auditTarget(target, { redis: { sampleMs } });
        process.stdout.write(render(report, format));
        const threshold = opts.failOn === undefined ? undefined : parseSeverity(opts.failOn);
        if (threshold && report.findings.some((f) => atOrAbove(f.severity, threshold))) process.exitCode = 1;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const code = MqaError.is(err) ? ` [${err.code}]` : "";
        process.stderr.write(`mqa audit: ${maskSecretsInText(message)}${code}\n`);
        process.exitCode = 2;
      }
    });
}
