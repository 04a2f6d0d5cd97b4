/**
 * A rule is data (id, title, severity, category, description, fix template) plus a check. The data is what
 * docs/rules.md is generated from, so the catalogue cannot drift from the code.
 */
import type { Category, Confidence, FindingLocation, Severity } from "../finding.js";
import type { AuditModel, ConfigFileKind } from "../model.js";
import type { AuditThresholds } from "../thresholds.js";

/** Which model a rule reads; "any" rules run on every audit. */
export type RuleBroker = "rabbitmq" | "redis" | "any";

/** One hit of a rule on one resource. Defaults come from the rule definition. */
export interface RuleHit {
  resource: string;
  location: FindingLocation;
  message: string;
  /** Specific scenario; the rule's `why` when absent. */
  why?: string;
  /** Values for the `{placeholders}` of the rule's fix template. */
  params?: Record<string, string | number>;
  /** A fully specific fix, replacing the template. */
  fix?: string;
  severity?: Severity;
  /** When the consequence on this resource differs from the rule's usual one (e.g. a DLX decided by a tie). */
  category?: Category;
  /** Only for hits that infer intent. */
  confidence?: Confidence;
}

export interface RuleContext {
  model: AuditModel;
  thresholds: AuditThresholds;
}

export interface Rule {
  /** Stable id, e.g. `rmq-guest-user`. Never renamed: CI configs and suppressions refer to it. */
  id: string;
  title: string;
  severity: Severity;
  category: Category;
  broker: RuleBroker;
  /** Needs a live broker (management API or a Redis connection); silent on definitions files and specs. */
  liveOnly: boolean;
  /** Configuration files this rule also judges offline (rabbitmq.conf, advanced.config, redis.conf). */
  files?: readonly ConfigFileKind[];
  /** Judges only configuration files (nothing in definitions, specs or live brokers). */
  filesOnly?: boolean;
  /** What goes wrong, in plain words: the loss or failure scenario. */
  why: string;
  /** Fix template with `{placeholders}` filled from {@link RuleHit.params}. */
  fix: string;
  check(ctx: RuleContext): RuleHit[];
}

/** Fill `{name}` placeholders; unknown placeholders stay visible so a missing param is noticed in review. */
export function renderTemplate(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (m, key: string) => (key in params ? String(params[key]) : m));
}
