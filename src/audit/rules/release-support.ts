/**
 * Whether a RabbitMQ release series is still supported. A broker's `release_series_support_status`
 * (`/api/overview`) is what its release knew when it was built: RabbitMQ 3.10.8 still says "supported" years
 * after 3.10 lost support, and a definitions export says nothing. So mqa reads the version
 * (`rabbitmq_version` of the overview, `rabbit_version` of a definitions export) and judges the series by
 * the table below; a broker that reports a status other than "supported" is believed.
 */

/**
 * The oldest series with community support, as of the end of 2025: RabbitMQ supports only the newest minor
 * series of 4.x in the community edition, and every 3.x series (3.13 included) is past its end of support.
 * A broker's "supported" never overrides this table (it is frozen at the broker's release date).
 */
export const OLDEST_SUPPORTED_SERIES = { major: 4, minor: 0 } as const;

/** `3.10.8` → `{ major: 3, minor: 10 }`; undefined when it does not start with two numbers. */
export function releaseSeries(version: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * Support status of a version: a broker-reported status other than "supported" as it is; else
 * `"unsupported"` for a series older than {@link OLDEST_SUPPORTED_SERIES}; else `"supported"` (the broker's
 * or the table's); `undefined` when neither version nor status is known.
 */
export function supportStatus(
  version: string | undefined,
  reported: string | undefined,
): { status: string; source: "broker" | "mqa's release table" } | undefined {
  const said = reported === undefined || reported === "" ? undefined : reported;
  if (said !== undefined && said !== "supported") return { status: said, source: "broker" };
  const s = version === undefined ? undefined : releaseSeries(version);
  if (!s) return said === undefined ? undefined : { status: said, source: "broker" };
  const old =
    s.major < OLDEST_SUPPORTED_SERIES.major ||
    (s.major === OLDEST_SUPPORTED_SERIES.major && s.minor < OLDEST_SUPPORTED_SERIES.minor);
  return { status: old ? "unsupported" : "supported", source: "mqa's release table" };
}
