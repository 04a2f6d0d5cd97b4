/** Rules about the audit itself: what it could not look at. */
import type { Rule } from "./rule.js";

export const inspectionGap: Rule = {
  id: "audit-incomplete",
  title: "Part of the broker could not be inspected",
  severity: "info",
  category: "operations",
  broker: "any",
  liveOnly: true,
  why: "The audit user lacks a permission or the broker lacks an API, so the rules that need those facts were skipped: a clean report does not cover them.",
  fix: "re-run with a user tagged monitoring (RabbitMQ) or allowed INFO/CONFIG/ACL (Redis)",
  check(ctx) {
    return ctx.model.inspectGaps.map((g) => ({
      resource: g.what,
      location: { kind: "audit", name: g.what },
      message: `could not inspect ${g.what}: ${g.reason}`,
    }));
  },
};

export const auditMetaRules: Rule[] = [inspectionGap];
