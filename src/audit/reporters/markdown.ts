/** Markdown report: a summary table and one section per finding, for PR comments and wikis. */
import { SEVERITIES, summarize } from "../finding.js";
import type { AuditReport } from "./report.js";

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Render findings as Markdown. */
export function renderMarkdown(report: AuditReport): string {
  const s = summarize(report.findings);
  const out: string[] = [
    `# mqa audit: \`${report.source.target}\``,
    "",
    `| ${SEVERITIES.join(" | ")} | total |`,
    `|${SEVERITIES.map(() => "---").join("|")}|---|`,
    `| ${SEVERITIES.map((sev) => s[sev]).join(" | ")} | ${s.total} |`,
    "",
  ];
  for (const n of report.notes ?? []) out.push(`> note: ${n}`, "");
  if (report.findings.length === 0) out.push("No findings.", "");
  else {
    out.push("| severity | category | rule | resource | message |", "|---|---|---|---|---|");
    for (const f of report.findings)
      out.push(
        `| ${f.severity} | ${f.category} | \`${f.ruleId}\` | ${cell(f.resource)} | ${cell(f.message)} |`,
      );
    out.push("");
    for (const f of report.findings) {
      out.push(
        `## ${f.severity}: ${f.title}`,
        "",
        `**${f.resource}** (\`${f.ruleId}\`, ${f.category}${f.confidence ? `, confidence ${f.confidence}` : ""}${f.location.file && f.location.line ? `, ${f.location.file}:${f.location.line}` : ""})`,
        "",
        f.message,
        "",
      );
      out.push(`Why: ${f.why}`, "", "Fix:", "", "```", f.fix, "```", "");
    }
  }
  return out.join("\n");
}
