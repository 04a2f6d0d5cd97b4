/**
 * Plain-text report, grouped by severity, then category, then rule: the rule's "why" is printed once per
 * group and each resource gets its message and its own concrete fix.
 */
import { CATEGORIES, SEVERITIES, summarize } from "../finding.js";
import type { Finding } from "../finding.js";
import type { AuditReport } from "./report.js";

const indent = (text: string, pad: string): string =>
  text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");

function byRule(findings: Finding[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) out.set(f.ruleId, [...(out.get(f.ruleId) ?? []), f]);
  return out;
}

/** ` (rabbitmq.conf:12)` for findings from configuration files, where the line is the point. */
function where(f: Finding): string {
  return f.location.file !== undefined && f.location.kind === "setting"
    ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ""})`
    : f.location.file !== undefined && f.location.kind === "command"
      ? ` (${f.location.file}:${f.location.line ?? 1})`
      : "";
}

/** Resources listed per rule before the text report summarises the rest; other formats list all. */
export const MAX_PER_RULE = 10;

/** Render findings as text. */
export function renderText(report: AuditReport): string {
  const { findings, source } = report;
  const lines: string[] = [`mqa audit: ${source.target} (${source.kind})`, ""];
  for (const n of report.notes ?? []) lines.push(`note: ${n}`);
  if ((report.notes ?? []).length > 0) lines.push("");
  if (findings.length === 0) lines.push("No findings.", "");
  for (const severity of SEVERITIES) {
    const ofSeverity = findings.filter((f) => f.severity === severity);
    if (ofSeverity.length === 0) continue;
    lines.push(`${severity.toUpperCase()} (${ofSeverity.length})`);
    for (const category of CATEGORIES) {
      const group = ofSeverity.filter((f) => f.category === category);
      if (group.length === 0) continue;
      lines.push(`  ${category}`);
      for (const [ruleId, list] of byRule(group)) {
        const first = list[0]!;
        lines.push(`    [${ruleId}] ${first.title}${list.length > 1 ? ` (${list.length})` : ""}`);
        lines.push(indent(`why: ${first.why}`, "      "));
        const sameFix = list.every((f) => f.fix === first.fix);
        for (const f of list.slice(0, MAX_PER_RULE)) {
          lines.push(
            `      - ${f.resource}${where(f)}: ${f.message}${f.confidence ? ` [confidence: ${f.confidence}]` : ""}`,
          );
          if (!sameFix) lines.push(indent(`fix: ${f.fix}`, "          "));
        }
        if (list.length > MAX_PER_RULE)
          lines.push(`      … and ${list.length - MAX_PER_RULE} more (--format json lists every one)`);
        if (sameFix) lines.push(indent(`fix: ${first.fix}`, "      "));
      }
    }
    lines.push("");
  }
  const s = summarize(findings);
  lines.push(`${s.total} finding(s): ${SEVERITIES.map((sev) => `${s[sev]} ${sev}`).join(", ")}`);
  return lines.join("\n") + "\n";
}
