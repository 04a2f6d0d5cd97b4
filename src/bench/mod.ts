/** Benchmarks: mqa against the raw client in one run. */
export {
  runBench,
  type BenchReport,
  type BenchFigure,
  type BenchTargetCheck,
  type BenchProgress,
} from "./run.js";
export { resolveBenchOptions, type BenchOptions, type ResolvedBenchOptions } from "./options.js";
export { formatBenchMarkdown, formatBenchText } from "./report.js";
export type { BenchQueue, BenchTarget } from "./target.js";
