/**
 * SARIF 2.1.0 report for code scanning. Broker resources become logical locations; a file source also
 * gets a physical location (the file), so GitHub shows findings on the definitions file.
 */
import type { Severity } from "../finding.js";
import type { AuditReport } from "./report.js";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

/** GitHub's security-severity scale (0–10) for the security category. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

/** Render findings as a SARIF 2.1.0 log. */
export function renderSarif(report: AuditReport, toolVersion = "0.1.0"): string {
  const rules = report.rules.map((r) => ({
    id: r.id,
    name: r.id,
    shortDescription: { text: r.title },
    fullDescription: { text: r.why },
    help: { text: `Fix: ${r.fix}`, markdown: `**Fix**\n\n\`\`\`\n${r.fix}\n\`\`\`` },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      category: r.category,
      severity: r.severity,
      tags: [r.category, r.broker],
      ...(r.category === "security" ? { "security-severity": SECURITY_SEVERITY[r.severity] } : {}),
    },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => ({
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. ${f.why} Fix: ${f.fix}` },
    locations: [
      {
        ...(f.location.file
          ? {
              physicalLocation: {
                artifactLocation: { uri: f.location.file.replace(/\\/g, "/") },
                ...(f.location.line ? { region: { startLine: f.location.line } } : {}),
              },
            }
          : {}),
        logicalLocations: [{ name: f.location.name, fullyQualifiedName: f.resource, kind: f.location.kind }],
      },
    ],
    partialFingerprints: { "mqaResource/v1": `${f.ruleId}:${f.location.kind}:${f.location.name}` },
    properties: {
      severity: f.severity,
      category: f.category,
      ...(f.confidence ? { confidence: f.confidence } : {}),
    },
  }));
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "mqa audit", version: toolVersion, rules } },
        // Skipped files of a multi-target run, so a clean report does not hide what was not read.
        ...(report.notes && report.notes.length > 0
          ? {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: report.notes.map((n) => ({
                    level: "note",
                    message: { text: n },
                  })),
                },
              ],
            }
          : {}),
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
