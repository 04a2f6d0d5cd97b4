/** JSON report: `{ source, findings: [...], summary: {...} }`, stable for scripts and CI. */
import { summarize } from "../finding.js";
import type { AuditReport } from "./report.js";

/** Render findings as pretty-printed JSON. */
export function renderJson(report: AuditReport): string {
  const doc = {
    source: report.source,
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      category: f.category,
      resource: f.resource,
      message: f.message,
      why: f.why,
      fix: f.fix,
      title: f.title,
      location: f.location,
      ...(f.confidence ? { confidence: f.confidence } : {}),
    })),
    ...(report.notes && report.notes.length > 0 ? { notes: report.notes } : {}),
    summary: summarize(report.findings),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
