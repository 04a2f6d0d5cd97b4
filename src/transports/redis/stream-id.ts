/** Stream entry ids (`ms-seq`), pure: shared by the transport and the auditor. */

/** Order of stream ids `ms-seq`; negative when a < b. Compared as integers, since ids exceed 2^53. */
export function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const d = BigInt(am) - BigInt(bm);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as) - BigInt(bs);
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}
