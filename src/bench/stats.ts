/** Median, min and max of a figure measured over several rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

/** Summarise round values (non-empty). */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, rounds: [...values] };
}
