/** Run the rule catalogue over a model and produce sorted, secret-free findings. */
import { maskSecretsInText } from "../core/redact.js";
import { CATEGORIES, severityRank } from "./finding.js";
import type { Finding } from "./finding.js";
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
  if (rule.broker === "rabbitmq" && !model.rabbit) return false;
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
  const section = SECTION[kind];
  const from = section ? index.sectionStart(section) : -1;
  let i = from >= 0 ? index.firstNaming(leaf, from) : -1;
  if (i < 0) i = index.firstNaming(leaf);
  return i >= 0 ? { line: i + 1 } : {};
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
          ...(model.source.kind.endsWith("-file") ? { file: model.source.target } : {}),
          ...lineOf(index, hit.location.kind, hit.location.name),
        },
      });
    }
  }
  return findings.sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.resource.localeCompare(b.resource),
  );
}
