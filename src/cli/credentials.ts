/**
 * Where the CLI takes a broker's URL and credentials from, so a password need not be typed into argv (where
 * `ps` and the shell history see it). One rule for every command:
 *
 * - the URL: `--broker` (or the command's target argument), else `MQA_BROKER_URL`;
 * - the user: the URL's own, else `MQA_BROKER_USERNAME`;
 * - the password: the URL's own, else the first line of `--password-file`, else `MQA_BROKER_PASSWORD`.
 *   A password both in the URL and in `--password-file` is refused (which one was meant?).
 *
 * What the URL says wins because it names one broker, while the file and the variables apply to every
 * broker of the command. The merged URL lives in memory only: it is never printed (messages use `maskUrl`)
 * and never passed to another process's argv. `memory://` takes no credentials.
 */
import { readFile } from "node:fs/promises";
import { InvalidOptionsError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";

/** The environment variables the CLI reads credentials from. */
export const CREDENTIAL_ENV = {
  url: "MQA_BROKER_URL",
  username: "MQA_BROKER_USERNAME",
  password: "MQA_BROKER_PASSWORD",
} as const;

/** The flags that carry credentials. */
export interface CredentialFlags {
  /** A file whose first line is the password. */
  passwordFile?: string;
}

/** The URL to use: the one given, else `MQA_BROKER_URL`; throws naming both when there is neither. */
export function brokerUrlFrom(
  given: string | undefined,
  what = "--broker",
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (given !== undefined && given !== "") return given;
  const fromEnv = env[CREDENTIAL_ENV.url];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  throw new InvalidOptionsError(`give ${what} <url> or set ${CREDENTIAL_ENV.url}`);
}

/** Read the password file once: its first line, trimmed; an unreadable or empty file is an error naming it. */
export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InvalidOptionsError(
      `--password-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const password = text.split(/\r?\n/)[0]?.trim() ?? "";
  if (password === "") throw new InvalidOptionsError(`--password-file ${file}: the first line is empty`);
  return password;
}

/**
 * `url` with the user and password filled in from `passwordFile` / the environment where the URL has none
 * (see the rules above). `passwordFromFile` is the file's password, already read (or undefined).
 */
export function withCredentials(
  url: string,
  passwordFromFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url; // not a URL: the command that uses it says so, with its own advice
  }
  if (u.protocol === "memory:") return url;
  if (u.password !== "" && passwordFromFile !== undefined)
    throw new InvalidOptionsError(
      `${maskUrl(url)} has a password and --password-file gives another: remove one of them`,
    );
  const user = env[CREDENTIAL_ENV.username];
  if (u.username === "" && user !== undefined && user !== "") u.username = encodeURIComponent(user);
  const password = passwordFromFile ?? nonEmpty(env[CREDENTIAL_ENV.password]);
  if (u.password === "" && password !== undefined) u.password = encodeURIComponent(password);
  return u.password === "" && u.username === "" ? url : u.toString();
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
