/**
 * The connection flags every CLI command that connects takes (`--password-file`, `--tls-*`), and their
 * resolution into the URL(s) and TLS settings the command uses. See credentials.ts for where the URL and
 * credentials come from and tls.ts for the TLS rules.
 */
import type { Command } from "commander";
import { InvalidOptionsError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import { setDefaultAdminTls } from "../brokers/admin-tls.js";
import type { ConnectOptions } from "../connect.js";
import { brokerUrlFrom, readPasswordFile, withCredentials, type CredentialFlags } from "./credentials.js";
import { readTlsFlags, type CliTlsSettings, type TlsFlags } from "./tls.js";

/** Every connection flag. */
export interface ConnectionFlags extends CredentialFlags, TlsFlags {}

/** What a command connects with. */
export interface CliConnection {
  /** The URL with credentials merged in: never print it (use `maskUrl`). */
  readonly url: string;
  /** TLS settings from the flags, or undefined. */
  readonly tls: CliTlsSettings | undefined;
}

/** Add `--password-file` and the `--tls-*` flags to `command`. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      "--password-file <file>",
      "read the broker password from this file's first line (or set MQA_BROKER_PASSWORD; never put it in argv)",
    )
    .option("--tls-ca <file>", "TLS: PEM CA certificate(s) to trust (amqps://, rediss://, https://)")
    .option("--tls-cert <file>", "TLS: PEM client certificate (with --tls-key)")
    .option("--tls-key <file>", "TLS: PEM private key of --tls-cert")
    .option("--tls-servername <name>", "TLS: name to check the broker's certificate against (and SNI)")
    .option("--tls-insecure", "TLS: do not check the broker's certificate (a lab broker only; warns)");
}

/**
 * Query parameters are refused: the transports build their connection from the URL's user, password, host,
 * port and path only, so `?heartbeat=30` or `?tls=true` would be ignored (or, for ioredis, passed on as
 * untyped client options). Settings go in flags.
 */
export function checkUrlParameters(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return; // the command says what a broker URL looks like
  }
  if (u.protocol === "memory:") return;
  const names = [...u.searchParams.keys()];
  if (names.length === 0) return;
  throw new InvalidOptionsError(
    `${maskUrl(url)}: URL parameter${names.length > 1 ? "s" : ""} ${names.map((n) => `"${n}"`).join(", ")} ` +
      "not accepted: mqa reads only user, password, host, port and vhost (or db) from a broker URL and accepts " +
      "no parameters; use --tls-ca, --tls-cert, --tls-key, --tls-servername for TLS and amqps:// or rediss:// to turn it on",
  );
}

/**
 * Resolve the URL (`given`, else `MQA_BROKER_URL`), merge credentials, check its parameters and read the TLS
 * flags. The TLS settings also become the admin layer's default for this process (management API, admin
 * Redis), so monitor, audit and topology use them without passing them through.
 */
export async function resolveConnection(
  given: string | undefined,
  flags: ConnectionFlags,
  what = "--broker",
): Promise<CliConnection> {
  const { urls, tls } = await resolveConnections(given === undefined ? [] : [given], flags, what);
  return { url: urls[0]!, tls };
}

/** {@link resolveConnection} for commands that take several brokers (`topology --broker A --broker B`). */
export async function resolveConnections(
  given: readonly string[],
  flags: ConnectionFlags,
  what = "--broker",
): Promise<{ urls: string[]; tls: CliTlsSettings | undefined }> {
  const raw = given.length > 0 ? [...given] : [brokerUrlFrom(undefined, what)];
  const password = flags.passwordFile === undefined ? undefined : await readPasswordFile(flags.passwordFile);
  const urls = raw.map((u) => withCredentials(u, password));
  for (const u of urls) checkUrlParameters(u);
  const tls = await readTlsFlags(flags, urls);
  setDefaultAdminTls(tls);
  return { urls, tls };
}

/** `options` with `tls` added for the transports (applied only to `amqps://` and `rediss://`). */
export function withTls(options: ConnectOptions, tls: CliTlsSettings | undefined): ConnectOptions {
  return tls === undefined ? options : { ...options, tls };
}
