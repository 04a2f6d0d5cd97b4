/** Benchmarks: mqa against the raw clients in one run, and the memory figure. */
export {
  runBench,
  type BenchReport,
  type BenchFigure,
  type BenchTargetCheck,
  type BenchProgress,
  type RawFigure,
  type SideComparison,
} from "./run.js";
export { resolveBenchOptions, type BenchOptions, type ResolvedBenchOptions } from "./options.js";
export { formatBenchMarkdown, formatBenchText } from "./report.js";
export { breakPoint, BREAK_FACTOR, BREAK_FLOOR_MS, DEFAULT_SWEEP, type SweepReport } from "./sweep.js";
export type { BenchQueue, BenchRole, BenchTarget } from "./target.js";
