/**
 * The largest spec mqa reads. Expansion is linear, but memory still grows with the spec (about 140 MB of
 * peak RSS per 1 MB of YAML for `validate`, twice that for `audit`: see docs/topology.md), so a spec past
 * the limit is refused before it is parsed, with the size, the limit and how to raise it.
 */
import { stat } from "node:fs/promises";
import { InvalidSpecError } from "./errors.js";

/** Default limit: 8 MiB, about 25,000 topics of two groups each. */
export const DEFAULT_MAX_SPEC_BYTES = 8 * 1024 * 1024;

/** The environment variable that raises (or lowers) the limit, in bytes. */
export const MAX_SPEC_BYTES_ENV = "MQA_MAX_SPEC_BYTES";

/**
 * The limit in force: `MQA_MAX_SPEC_BYTES` when set to a positive integer, else {@link DEFAULT_MAX_SPEC_BYTES}.
 * Throws {@link InvalidSpecError} when the variable is set to anything else, rather than ignore it.
 */
export function maxSpecBytes(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env[MAX_SPEC_BYTES_ENV];
  if (raw === undefined || raw === "") return DEFAULT_MAX_SPEC_BYTES;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0)
    throw new InvalidSpecError(`(environment ${MAX_SPEC_BYTES_ENV})`, [
      { path: "(root)", message: `must be a positive number of bytes, got "${raw}"` },
    ]);
  return Number(raw);
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Throw {@link InvalidSpecError} when `bytes` is over `limit`. */
export function assertSpecSize(source: string, bytes: number, limit: number): void {
  if (bytes <= limit) return;
  throw new InvalidSpecError(source, [
    {
      path: "(root)",
      message: `the spec is ${mib(bytes)} (${bytes} bytes), over the limit of ${mib(limit)} (${limit} bytes); nothing was parsed. Split it into several specs, or raise the limit with ${MAX_SPEC_BYTES_ENV}=<bytes> (expanding it takes memory in proportion)`,
    },
  ]);
}

/** Check a file's size against the limit before reading it. Missing files are left to the reader's error. */
export async function assertSpecFileSize(path: string, limit: number): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  assertSpecSize(path, size, limit);
}
