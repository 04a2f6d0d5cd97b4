/** Findings: what a rule reports, in one shape for every reporter. */

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * How sure a rule is of a finding that infers intent (a permission regex `''` almost certainly meant
 * "nothing"); absent for findings that state a fact.
 */
export const CONFIDENCES = ["high", "medium", "low"] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export const CATEGORIES = ["message-loss", "performance", "security", "operations"] as const;
export type Category = (typeof CATEGORIES)[number];

/** Where a finding points: a logical resource on a broker, and the file it came from when there is one. */
export interface FindingLocation {
  /** e.g. "queue", "exchange", "user", "policy", "stream", "group", "setting", "node", "channel". */
  kind: string;
  /** Fully qualified name, e.g. "orders/orders.payments" (vhost/name) or "stream orders:events". */
  name: string;
  file?: string;
  /** 1-based line in `file` where the resource is declared, when it could be found. */
  line?: number;
}

export interface Finding {
  ruleId: string;
  title: string;
  severity: Severity;
  category: Category;
  /** Human label of the resource, e.g. "vhost / queue orders.payments". */
  resource: string;
  message: string;
  /** The concrete loss or failure scenario. */
  why: string;
  /** A concrete snippet that fixes it (policy command, spec change, config line). */
  fix: string;
  location: FindingLocation;
  /** Set when the rule inferred intent; see {@link Confidence}. */
  confidence?: Confidence;
}

/** Rank of a severity: 0 = critical (worst). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is at or above `threshold` (critical is above high, ...). */
export function atOrAbove(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

/** Parse a severity name, or undefined. */
export function parseSeverity(value: string): Severity | undefined {
  return (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : undefined;
}

/** Count of findings per severity. */
export function summarize(findings: readonly Finding[]): Record<Severity, number> & { total: number } {
  const counts = { critical: 0, high: 0, medium: 0, low: 0, info: 0, total: findings.length };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}
