/**
 * RabbitMQ version detection. The broker announces its version in the connection's server
 * properties; mqa adapts arguments to it (see `capabilitiesOf` in topology-plan.ts).
 */

/** A parsed `major.minor.patch` version. */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Parse `3.10.8`, `4.0.0-rc.1`, `v4.1`; `undefined` when no version can be read. */
export function parseVersion(text: string): Version | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The `version` server property of an open connection, as a string, if the broker sent one. */
export function serverVersionOf(
  serverProperties: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  const raw = serverProperties?.["version"];
  if (typeof raw === "string") return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("utf8");
  return undefined;
}
