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
