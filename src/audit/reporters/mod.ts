/** Pick a reporter by format name. */
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import type { AuditReport, ReportFormat } from "./report.js";
import { renderSarif } from "./sarif.js";
import { renderText } from "./text.js";

export { FORMATS } from "./report.js";
export type { AuditReport, ReportFormat } from "./report.js";

/** Render `report` in `format`. */
export function render(report: AuditReport, format: ReportFormat): string {
  switch (format) {
    case "text":
      return renderText(report);
    case "json":
      return renderJson(report);
    case "sarif":
      return renderSarif(report);
    case "markdown":
      return renderMarkdown(report);
  }
}
