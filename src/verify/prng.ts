/**
 * A small seeded PRNG (mulberry32) so a verify run's fault plan can be repeated from its seed.
 * Not cryptographic; ten lines do not justify a dependency.
 */

/** Random source in [0, 1) that yields the same sequence for the same seed. */
export type Random = () => number;

/** mulberry32 seeded with a 32-bit integer. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole number in [min, max] (inclusive). */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
