/**
 * Whether a RabbitMQ release series is still supported. A broker's `release_series_support_status`
 * (`/api/overview`) is what its release knew when it was built: RabbitMQ 3.10.8 still says "supported" years
 * after 3.10 lost support, and a definitions export says nothing. So mqa reads the version
 * (`rabbitmq_version` of the overview, `rabbit_version` of a definitions export) and judges the series by
 * the table below; a broker that reports a status other than "supported" is believed.
 */

/**
 * The oldest series with community support, as of December 2026: RabbitMQ supports only the newest minor
 * series of its newest major in the community edition (4.2, released 2025-10), so 4.0, 4.1 and every 3.x
 * series are past their end of support. Raise it when a newer series ships. A broker's "supported" never
 * overrides this table (it is frozen at the broker's release date).
 */
export const OLDEST_SUPPORTED_SERIES = { major: 4, minor: 2 } as const;

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

/**
 * When community support of each series ended (year-month), from RabbitMQ's release-information page, the
 * end-of-support notes in its release announcements and endoflife.date; series before 3.6 ended when their successor shipped. Used only
 * to word findings: whether a series is supported is decided by {@link OLDEST_SUPPORTED_SERIES}.
 */
export const END_OF_SUPPORT: Readonly<Record<string, string>> = {
  "3.0": "2013-05",
  "3.1": "2013-10",
  "3.2": "2014-04",
  "3.3": "2014-10",
  "3.4": "2015-03",
  "3.5": "2015-12",
  "3.6": "2018-05",
  "3.7": "2020-09",
  "3.8": "2022-07",
  "3.9": "2023-01",
  "3.10": "2023-07",
  "3.11": "2023-12",
  "3.12": "2024-06",
  "3.13": "2024-09",
  "4.0": "2025-04",
  "4.1": "2026-01",
};

/** "release line 3.6, out of community support since 2018-05" (or without the date when unknown). */
export function describeReleaseLine(version: string): string | undefined {
  const s = releaseSeries(version);
  if (!s) return undefined;
  const line = `${s.major}.${s.minor}`;
  const end = END_OF_SUPPORT[line];
  return `release line ${line}${end ? `, out of community support since ${end}` : ""}`;
}
