/** Run the rule catalogue over a model and produce sorted, secret-free findings. */
import { maskSecretsInText } from "../core/redact.js";
import { CATEGORIES, severityRank } from "./finding.js";
import type { Finding, FindingLocation } from "./finding.js";
import type { AuditModel } from "./model.js";
import { ALL_RULES } from "./rules/mod.js";
import type { Rule } from "./rules/rule.js";
import { SourceLineIndex } from "./source-lines.js";
import { renderTemplate } from "./rules/rule.js";
import { parseThresholds } from "./thresholds.js";
import type { AuditThresholdsInput } from "./thresholds.js";

export interface AuditOptions {
  /** Override rule thresholds. @defaultValue see {@link parseThresholds} */
  thresholds?: AuditThresholdsInput;
  /** Rules to run. @defaultValue every rule in the catalogue */
  rules?: readonly Rule[];
}

/** Replace every known secret and every URL password in `text` with ****. */
export function scrub(text: string, secrets: ReadonlySet<string>): string {
  let out = maskSecretsInText(text);
  // Longest first, so a secret containing another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= 4) out = out.split(s).join("****");
  }
  return out;
}

function relevant(rule: Rule, model: AuditModel): boolean {
  if (rule.broker === "rabbitmq" && !model.rabbit && !model.rabbitConfig) return false;
  if (rule.broker === "redis" && !model.redis) return false;
  return true;
}

const SECTION: Record<string, string> = {
  queue: "queues",
  stream: "queues",
  exchange: "exchanges",
  user: "users",
  policy: "policies",
  "operator-policy": "operator_policies",
  shovel: "parameters",
  "federation-upstream": "parameters",
  vhost: "vhosts",
  binding: "bindings",
};

/**
 * Best-effort line of a file source where the resource is declared: the first line after its section
 * (`"queues":`) that quotes its name, else the first line anywhere that does.
 */
function lineOf(index: SourceLineIndex | undefined, kind: string, name: string): { line?: number } {
  const leaf = kind === "binding" ? name.split("/").pop()?.split("->")[0] : name.split("/").pop();
  if (!index || !leaf) return {};
  if (kind === "cluster") {
    // The release is the export's version field.
    const i = Math.max(index.firstNaming("rabbitmq_version"), index.firstNaming("rabbit_version"));
    return i >= 0 ? { line: i + 1 } : {};
  }
  const section = SECTION[kind];
  const from = section ? index.sectionStart(section) : -1;
  let i = from >= 0 ? index.firstNaming(leaf, from) : -1;
  if (i < 0) i = index.firstNaming(leaf);
  return i >= 0 ? { line: i + 1 } : {};
}

/**
 * File and line of a hit: the rule's own when it gave them; for a setting of a configuration file, where
 * that setting was written; otherwise the source file and the line that names the resource.
 */
function placeOf(
  model: AuditModel,
  index: SourceLineIndex | undefined,
  at: FindingLocation,
): { file?: string; line?: number } {
  if (at.file !== undefined) return { file: at.file, ...(at.line !== undefined ? { line: at.line } : {}) };
  const setting = at.kind === "setting" ? model.settingLines?.get(at.name) : undefined;
  if (setting) return setting;
  const file = model.source.kind.endsWith("-file") ? { file: model.source.target } : {};
  if (at.line !== undefined) return { ...file, line: at.line };
  return { ...file, ...lineOf(index, at.kind, at.name) };
}

/** Apply every rule to the model. Findings are sorted by severity, category, rule and resource. */
export function runAudit(model: AuditModel, options: AuditOptions = {}): Finding[] {
  const thresholds = parseThresholds(options.thresholds);
  const ctx = { model, thresholds };
  const findings: Finding[] = [];
  const index = model.sourceLines ? new SourceLineIndex(model.sourceLines) : undefined;
  for (const rule of options.rules ?? ALL_RULES) {
    if (!relevant(rule, model)) continue;
    for (const hit of rule.check(ctx)) {
      const s = (t: string): string => scrub(t, model.secrets);
      findings.push({
        ruleId: rule.id,
        title: rule.title,
        severity: hit.severity ?? rule.severity,
        category: rule.category,
        resource: s(hit.resource),
        message: s(hit.message),
        why: s(hit.why ?? rule.why),
        fix: s(hit.fix ?? renderTemplate(rule.fix, hit.params)),
        location: {
          kind: hit.location.kind,
          name: s(hit.location.name),
          ...placeOf(model, index, hit.location),
        },
        ...(hit.category ? { category: hit.category } : {}),
        ...(hit.confidence ? { confidence: hit.confidence } : {}),
      });
    }
  }
  return sortFindings(findings);
}

/** Sort findings by severity, category, rule, resource, then file and line (several targets in one report). */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.resource.localeCompare(b.resource) ||
      (a.location.file ?? "").localeCompare(b.location.file ?? "") ||
      (a.location.line ?? 0) - (b.location.line ?? 0),
  );
}
