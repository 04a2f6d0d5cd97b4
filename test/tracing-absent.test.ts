/**
 * Issue 15: mqa works without `@opentelemetry/api` (an optional peer). The built package runs in a child
 * process where every @opentelemetry/* package is unresolvable (test/fixtures/hide-otel.mjs).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const hide = new URL("./fixtures/hide-otel.mjs", import.meta.url).pathname;
const bin = new URL("../bin/mqa.js", import.meta.url).pathname;
const dist = new URL("../dist/", import.meta.url).href;

describe("without @opentelemetry/api", () => {
  it("the library loads, withTracing hands the transport back, and the outbox stores no trace headers", async () => {
    const script = `
      import * as mqa from "${dist}index.js";
      import { withTracing, loadOtelApi } from "${dist}tracing/mod.js";
      import { enqueue } from "${dist}outbox/mod.js";
      await import("@opentelemetry/api").then(() => { throw new Error("the package is not hidden"); }, () => undefined);
      const transport = mqa.createMemoryTransport();
      const same = (await withTracing(transport)) === transport;
      const rows = [];
      await enqueue({ query: async (_t, v) => (rows.push(v), { rows: [] }) }, "t", { payload: new Uint8Array([1]), headers: { a: "1" } });
      console.log(JSON.stringify({ same, api: (await loadOtelApi()) === undefined ? "absent" : "present", headers: rows[0][4] }));
    `;
    const { stdout } = await run(process.execPath, ["--import", hide, "--input-type=module", "-e", script]);
    expect(JSON.parse(stdout)).toEqual({ same: true, api: "absent", headers: '{"a":"1"}' });
  });

  it("mqa demo --trace says what is missing and runs untraced", { timeout: 30_000 }, async () => {
    const { stdout, stderr } = await run(process.execPath, [
      "--import",
      hide,
      bin,
      "demo",
      "--orders",
      "5",
      "--trace",
      "--json",
    ]);
    expect(stderr).toMatch(/--trace needs @opentelemetry\/api, @opentelemetry\/sdk-trace-base/);
    const report = JSON.parse(stdout) as { lost: number; trace?: unknown };
    expect(report.lost).toBe(0);
    expect(report.trace).toBeUndefined();
  });
});
