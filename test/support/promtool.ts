/**
 * Finds and runs Prometheus's `promtool` for the tests that check the monitor's alert rules, its /metrics
 * body and the Grafana dashboard's queries. scripts/ensure-services.sh (run by `npm test` and .ci/run) puts
 * the binary from Debian's prometheus package in .cache/promtool/; `promtool` on PATH or MQA_PROMTOOL work
 * too. With CI=true a missing promtool fails the tests that need it; elsewhere they are skipped with a
 * message saying how to get it.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const cached = new URL("../../.cache/promtool/promtool", import.meta.url).pathname;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The promtool binary to use, or undefined when there is none. */
export function findPromtool(env: NodeJS.ProcessEnv = process.env, cachePath = cached): string | undefined {
  const candidates = [
    env["MQA_PROMTOOL"],
    ...(env["PATH"] ?? "").split(delimiter).map((dir) => join(dir, "promtool")),
    cachePath,
  ];
  return candidates.find((p): p is string => p !== undefined && p !== "" && executable(p));
}

export const PROMTOOL_MISSING =
  "promtool not found: run `bash scripts/ensure-services.sh` (extracts it from Debian's prometheus package " +
  "into .cache/promtool/), or set MQA_PROMTOOL";

/**
 * The promtool to use. Under CI a missing one throws (the test fails); elsewhere it returns undefined and
 * the caller skips with {@link PROMTOOL_MISSING}.
 */
export function promtoolOrSkip(env: NodeJS.ProcessEnv = process.env, cachePath = cached): string | undefined {
  const found = findPromtool(env, cachePath);
  if (found === undefined && env["CI"] === "true") throw new Error(PROMTOOL_MISSING);
  if (found === undefined) console.warn(`skipping: ${PROMTOOL_MISSING}`);
  return found;
}

export interface PromtoolResult {
  code: number;
  output: string;
}

/** Run promtool; resolves with its exit code and stdout+stderr, optionally feeding `input` on stdin. */
export function runPromtool(bin: string, args: string[], input?: string): Promise<PromtoolResult> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === "number" ? code : 1, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? "");
  });
}
