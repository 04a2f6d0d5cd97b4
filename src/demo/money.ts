/**
 * Decimal money without floats: amounts travel as strings ("12.34") and are computed in integer minor
 * units (cents) as bigint. 0.1 + 0.2 must be 0.30, not 0.30000000000000004.
 */
const AMOUNT = /^(\d{1,15})\.(\d{2})$/;

/** "12.34" → 1234n. Throws on anything that is not a non-negative amount with exactly two decimals. */
export function parseAmount(text: string): bigint {
  const m = AMOUNT.exec(text);
  if (!m) throw new RangeError(`"${text}" is not an amount like 12.34`);
  return BigInt(m[1] as string) * 100n + BigInt(m[2] as string);
}

/** 1234n → "12.34". */
export function formatAmount(cents: bigint): string {
  const sign = cents < 0n ? "-" : "";
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

/** The regex, for schemas. */
export const amountPattern = AMOUNT;
