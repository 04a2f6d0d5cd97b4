/** Effective queue settings: one policy wins by priority, operator policies take the smaller limit, arguments mostly win. */
import { describe, expect, it } from "vitest";
import { effectiveQueues, numberSetting, stringSetting } from "../../src/audit/effective.js";
import { parseDefinitions } from "../../src/audit/sources/definitions.js";
import { addPolicy, addQueue, cleanDefs } from "./helpers.js";
import type { DefsJson } from "./helpers.js";

function eff(d: DefsJson, name: string) {
  const defs = parseDefinitions(d, "t", new Set());
  return effectiveQueues(defs).find((e) => e.queue.name === name)!;
}

describe("effective queue settings", () => {
  it("applies only the highest-priority matching policy (no merging)", () => {
    const d = cleanDefs();
    addPolicy(d, "specific", "^orders\\.work\\.payments$", { "max-length": 7 }, 99, "queues");
    const e = eff(d, "orders.work.payments");
    expect(e.policy?.name).toBe("specific");
    expect(numberSetting(e, "max-length")).toBe(7);
    expect(stringSetting(e, "dead-letter-exchange")).toBeUndefined();
    expect(e.matchingPolicies.map((p) => p.name)).toEqual(["specific", "orders-work"]);
  });

  it("respects apply-to: a quorum_queues policy does not touch a classic queue", () => {
    const d = cleanDefs();
    addQueue(d, "orders.work.classic", {});
    expect(eff(d, "orders.work.classic").policy).toBeUndefined();
  });

  it("operator policy: the smaller numeric limit wins", () => {
    const d = cleanDefs();
    d.operator_policies = [
      {
        vhost: "orders",
        name: "cap",
        pattern: ".*",
        "apply-to": "queues",
        priority: 0,
        definition: { "max-length": 500, "message-ttl": 1000 },
      },
    ];
    const e = eff(d, "orders.work.payments");
    expect(e.settings.get("max-length")).toEqual({ value: 500, from: "operator policy cap" });
    expect(e.settings.get("delivery-limit")?.from).toBe("policy orders-work");
  });

  it("arguments: limits take the smaller value, other keys prefer the argument", () => {
    const d = cleanDefs();
    const q = d.queues.find((x) => x.name === "orders.work.payments")!;
    q.arguments["x-max-length"] = 10;
    q.arguments["x-dead-letter-exchange"] = "other.dlx";
    q.arguments["x-delivery-limit"] = 50;
    const e = eff(d, "orders.work.payments");
    expect(e.settings.get("max-length")).toEqual({ value: 10, from: "argument x-max-length" });
    expect(e.settings.get("delivery-limit")).toEqual({ value: 10, from: "policy orders-work" });
    expect(stringSetting(e, "dead-letter-exchange")).toBe("other.dlx");
  });
});

describe("policy fixes", () => {
  it("extend a policy that only this queue uses, but never widen a shared one", async () => {
    const { policyFix } = await import("../../src/audit/rules/helpers.js");
    const d = cleanDefs();
    const shared = eff(d, "orders.work.emails"); // orders-work matches three queues
    expect(shared.policyScope).toBe(3);
    const fix = policyFix(shared, { "message-ttl": 1 });
    expect(fix).toContain(`'orders.work.emails-policy' '^orders\\.work\\.emails$'`);
    expect(fix).toContain("--priority 11");
    expect(fix).toContain('"dead-letter-exchange":"orders.dlx"'); // copied: policies do not merge
    const own = eff(d, "orders.dlq");
    expect(own.policyScope).toBe(1);
    expect(policyFix(own, { "message-ttl": 1 })).toMatch(
      /^rabbitmqctl set_policy -p 'orders' 'orders-parking' '\\\.dlq\$'/,
    );
  });
});
