import { execFile } from "node:child_process";

const bin = new URL("../../bin/mqa.js", import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built `mqa` binary; resolves with exit code and output (never rejects on a non-zero exit). */
export function mqa(...args: string[]): Promise<CliResult> {
  return mqaWithInput(undefined, ...args);
}

/** Like {@link mqa}, writing `input` to its stdin. */
export function mqaWithInput(input: string | undefined, ...args: string[]): Promise<CliResult> {
  return run(input, {}, args);
}

/** Like {@link mqa}, with `env` added to the environment. */
export function mqaWithEnv(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return run(undefined, env, args);
}

function run(input: string | undefined, env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
