/**
 * rmq-unsupported-release on the real broker: RabbitMQ 3.10 reports `release_series_support_status:
 * "supported"` (frozen at its release date), so the rule must judge the version it reports instead. Also from
 * a definitions export, which carries only `rabbit_version`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { unsupportedRelease } from "../../src/audit/rules/rabbitmq-live.js";
import { releaseSeries } from "../../src/audit/rules/release-support.js";
import { loadFile } from "../../src/audit/sources/load.js";
import { loadRabbitLive } from "../../src/audit/sources/rabbitmq-live.js";
import { RABBIT_MANAGEMENT_URL } from "../support/topology.js";

describe("rmq-unsupported-release", () => {
  it("judges the live broker by the version it reports, whatever support status it claims", async () => {
    const model = await loadRabbitLive(RABBIT_MANAGEMENT_URL);
    const version = model.rabbit?.live?.rabbitmqVersion;
    expect(version).toMatch(/^\d+\.\d+/);
    const series = releaseSeries(version!)!;
    const findings = runAudit(model, { rules: [unsupportedRelease] });
    if (series.major < 4) {
      expect(findings).toHaveLength(1);
      expect(findings[0]!.message).toContain(`RabbitMQ ${version}`);
      expect(findings[0]!.message).toContain('"unsupported"');
    } else expect(findings.map((f) => f.message)).toEqual([]);
  });

  it("fires on a definitions export of 3.10.8 and stays silent on 4.2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mqa-release-"));
    try {
      const defs = (version: string): string =>
        JSON.stringify({ rabbit_version: version, vhosts: [{ name: "/" }], queues: [] });
      await writeFile(join(dir, "old.json"), defs("3.10.8"));
      await writeFile(join(dir, "new.json"), defs("4.2.1"));
      const old = runAudit(await loadFile(join(dir, "old.json")), { rules: [unsupportedRelease] });
      expect(old.map((f) => f.message)).toEqual([
        expect.stringContaining(
          'RabbitMQ 3.10.8 (release line 3.10, out of community support since 2023-07): release series support status is "unsupported"',
        ),
      ]);
      const fresh = runAudit(await loadFile(join(dir, "new.json")), { rules: [unsupportedRelease] });
      expect(fresh).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
