/** Public face of the broker auditor: load a target, run the rules, render a report. */
export { runAudit, scrub } from "./engine.js";
export type { AuditOptions } from "./engine.js";
export { SEVERITIES, CATEGORIES, CONFIDENCES, atOrAbove, parseSeverity, summarize } from "./finding.js";
export type { Finding, Severity, Category, Confidence, FindingLocation } from "./finding.js";
export type * from "./model.js";
/**
 * @deprecated Renamed {@link RabbitDeclarations} (the audit's normalised model); `RabbitDefinitions` names the
 * definitions.json shape (`mqa/topology`).
 */
export type RabbitDefinitions = RabbitDeclarations;
export { ALL_RULES, RULE_FAMILIES } from "./rules/mod.js";
export type { Rule, RuleContext, RuleHit } from "./rules/mod.js";
export { loadTarget, loadFile, targetKind } from "./sources/load.js";
export { loadDirectory, loadFileTargets } from "./sources/targets.js";
export type { LoadedTargets } from "./sources/targets.js";
export { detectConfigKind } from "./sources/config-file.js";
export { ConfigSyntaxError } from "./sources/config/syntax-error.js";
export { parseErlangTerms } from "./sources/config/erlang-terms.js";
export type { ErlTerm } from "./sources/config/erlang-terms.js";
export { readDocument } from "./sources/read-document.js";
export type { LoadOptions } from "./sources/load.js";
export { AuditInputError, parseDefinitions } from "./sources/definitions.js";
export { setSpecCompiler } from "./sources/spec.js";
export { restrictToVhost } from "./sources/vhost-filter.js";
export type { SpecCompiler } from "./sources/spec.js";
export { render, FORMATS } from "./reporters/mod.js";
export type { AuditReport, ReportFormat } from "./reporters/mod.js";
export { renderRulesDoc } from "./rules-doc.js";
export { parseThresholds } from "./thresholds.js";
export type { AuditThresholds, AuditThresholdsInput } from "./thresholds.js";

import { runAudit, sortFindings } from "./engine.js";
import type { AuditOptions } from "./engine.js";
import type { Finding } from "./finding.js";
import type { AuditModel, AuditSource, RabbitDeclarations } from "./model.js";
import { ALL_RULES } from "./rules/mod.js";
import { loadTarget, targetKind } from "./sources/load.js";
import { isDirectory, loadDirectory, loadFileTargets } from "./sources/targets.js";
import type { LoadOptions } from "./sources/load.js";
import { restrictToVhost } from "./sources/vhost-filter.js";

/**
 * Load `target` and audit it in one call; `vhost` narrows a RabbitMQ audit to one virtual host. A directory,
 * a compose file or Helm values may hold several configurations: each is audited, into one report.
 */
export async function auditTarget(
  target: string,
  options: AuditOptions & LoadOptions & { vhost?: string } = {},
): Promise<{ source: AuditSource; findings: Finding[]; rules: typeof ALL_RULES; notes: string[] }> {
  const narrow = (m: AuditModel): AuditModel =>
    options.vhost === undefined || !m.rabbit ? m : restrictToVhost(m, options.vhost);
  const rules = options.rules ?? ALL_RULES;
  if (targetKind(target) !== "file") {
    const model = narrow(await loadTarget(target, options));
    return { source: model.source, findings: runAudit(model, options), rules, notes: [] };
  }
  const loaded = (await isDirectory(target))
    ? await loadDirectory(target, options)
    : await loadFileTargets(target, options);
  const findings = sortFindings(loaded.models.flatMap((m) => runAudit(narrow(m), options)));
  return { source: loaded.source, findings, rules, notes: loaded.notes };
}
