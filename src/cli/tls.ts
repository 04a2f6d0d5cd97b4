/**
 * The CLI's TLS flags, read once into the settings every connection of a command uses: the transports
 * (`amqps://`, `rediss://`), the management API (`https://`) and the admin Redis connection.
 *
 * Rules: files are read as PEM text (so the settings can travel to verify's workers over IPC); a TLS flag
 * with no TLS URL to apply to is refused (it would be silently ignored, or worse, turn TLS on for a
 * `redis://` URL); `--tls-insecure` turns certificate checking off and says so on stderr every time.
 */
import { readFile } from "node:fs/promises";
import { InvalidOptionsError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";

/** The TLS flags as commander gives them. */
export interface TlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
  tlsInsecure?: boolean;
}

/** TLS settings in the shape every transport and admin client takes. */
export interface CliTlsSettings {
  /** PEM CA certificate(s) to trust instead of Node's bundled list. */
  ca?: string;
  /** PEM client certificate (mutual TLS). */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Server name to check the certificate against (and send as SNI). */
  servername?: string;
  /** @defaultValue true */
  rejectUnauthorized: boolean;
}

const TLS_SCHEMES = new Set(["amqps:", "rediss:", "https:"]);

/** True for a URL whose connection is TLS (`amqps:`, `rediss:`, `https:`). */
export function isTlsUrl(url: string): boolean {
  try {
    return TLS_SCHEMES.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

async function pem(flag: string, file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InvalidOptionsError(
      `${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (!text.includes("-----BEGIN "))
    throw new InvalidOptionsError(`${flag} ${file}: not a PEM file (no "-----BEGIN" line)`);
  return text;
}

/**
 * The settings for `urls` from `flags`: undefined when no TLS flag is given. Throws `invalid-options` for an
 * unreadable or non-PEM file, a certificate without its key (or the reverse), or TLS flags with no TLS URL.
 * `warn` receives the `--tls-insecure` warning.
 */
export async function readTlsFlags(
  flags: TlsFlags,
  urls: readonly string[],
  warn: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Promise<CliTlsSettings | undefined> {
  const given = (
    [
      ["--tls-ca", flags.tlsCa],
      ["--tls-cert", flags.tlsCert],
      ["--tls-key", flags.tlsKey],
      ["--tls-servername", flags.tlsServername],
      ["--tls-insecure", flags.tlsInsecure ? true : undefined],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (given.length === 0) return undefined;
  if (!urls.some(isTlsUrl))
    throw new InvalidOptionsError(
      `${given.map(([f]) => f).join(", ")} apply to TLS connections, but ${urls.map(maskUrl).join(", ") || "no URL"} ` +
        "is not one: use amqps://, rediss:// or https://",
    );
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new InvalidOptionsError("--tls-cert and --tls-key go together: the client certificate and its key");
  const [ca, cert, key] = await Promise.all([
    pem("--tls-ca", flags.tlsCa),
    pem("--tls-cert", flags.tlsCert),
    pem("--tls-key", flags.tlsKey),
  ]);
  if (flags.tlsInsecure)
    warn(
      "mqa: WARNING: --tls-insecure: the broker's certificate is not checked, so anyone on the network path " +
        "can pose as the broker and read the credentials and messages; use --tls-ca instead",
    );
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(flags.tlsServername !== undefined ? { servername: flags.tlsServername } : {}),
    rejectUnauthorized: flags.tlsInsecure !== true,
  };
}
