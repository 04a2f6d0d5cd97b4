/**
 * Secrets never reach logs, errors or reports. These helpers mask what could carry one.
 */

const MASK = "****";

/** `amqp://user:secret@host` → `amqp://user:****@host`. Leaves strings that are not URLs unchanged. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, MASK);
    }
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@\s]*:)[^@/\s]+@/g, `$1${MASK}@`);
  }
}

/** Mask every URL-with-password found inside free text (error messages from clients). */
export function maskSecretsInText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/gi, `$1${MASK}@`);
}

/** Keys whose values are masked wherever they appear in logged objects. */
export const SECRET_KEYS = [
  "password",
  "pass",
  "secret",
  "token",
  "authorization",
  "key",
  "cert",
  "ca",
] as const;

const SECRET_KEY_SET: ReadonlySet<string> = new Set(SECRET_KEYS);
/** Also masked: keys that end like a secret (`apiKey`, `client_secret`, `accessToken`, `dbPassword`). */
const SECRET_KEY_SUFFIX = /(password|passwd|secret|token|apikey|api_key|authorization|credentials?)$/i;

/**
 * A copy of any value that is safe to write into a header, a log line or a report: values under secret-looking
 * keys become `****`, strings have URL passwords masked, and the copy is bounded (depth 5, 50 keys or items per
 * level, cycles cut) so a hostile object cannot blow it up. Primitives come back as they are (strings masked).
 */
export function redactValue(value: unknown, depth = 5, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return maskSecretsInText(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  if (depth <= 0) return Array.isArray(value) ? "[Array]" : "[Object]";
  seen.add(value);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactValue(v, depth - 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 50)) {
    out[k] =
      SECRET_KEY_SET.has(k.toLowerCase()) || SECRET_KEY_SUFFIX.test(k)
        ? MASK
        : redactValue(v, depth - 1, seen);
  }
  return out;
}
