/** What every reporter receives. */
import type { Finding } from "../finding.js";
import type { AuditSource } from "../model.js";
import type { Rule } from "../rules/rule.js";

export interface AuditReport {
  source: AuditSource;
  findings: Finding[];
  /** Rules that ran (for SARIF's tool.driver.rules). */
  rules: readonly Rule[];
  /** What a multi-target run skipped, and why. */
  notes?: readonly string[];
}

export const FORMATS = ["text", "json", "sarif", "markdown"] as const;
export type ReportFormat = (typeof FORMATS)[number];
