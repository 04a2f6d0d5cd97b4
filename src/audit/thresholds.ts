/** Numbers the rules compare against. Defaults are conservative; tests and CLI users can lower them. */
import { z } from "zod";
import { parseOptions } from "../core/options.js";

const thresholdsSchema = z.strictObject({
  /** Prefetch above this counts as huge. @defaultValue 1000 */
  hugePrefetch: z.number().int().positive().default(1000),
  /** A Redis stream with at least this many entries and nothing ever trimmed is growing forever. @defaultValue 10000 */
  untrimmedStreamLength: z.number().int().positive().default(10_000),
  /** Consumer-group lag at or above this is a backlog. @defaultValue 1000 */
  groupLag: z.number().int().positive().default(1000),
  /** Pending entries at or above this is a large PEL. @defaultValue 1000 */
  pendingEntries: z.number().int().positive().default(1000),
  /** A consumer idle this long while holding pending entries is stuck. @defaultValue 300000 */
  idleConsumerMs: z.number().int().positive().default(300_000),
  /** Delivery count at or above this marks a poison entry. @defaultValue 5 */
  deliveryCount: z.number().int().positive().default(5),
  /** Fraction of a limit (memory, file descriptors) that counts as near it. @defaultValue 0.9 */
  nearLimit: z.number().positive().max(1).default(0.9),
  /** RabbitMQ x-max-priority above this costs memory and CPU per level. @defaultValue 10 */
  maxPriority: z.number().int().positive().default(10),
});

export type AuditThresholds = z.output<typeof thresholdsSchema>;
export type AuditThresholdsInput = z.input<typeof thresholdsSchema>;

/** Validate thresholds (unknown keys rejected) and fill defaults. */
export function parseThresholds(input: AuditThresholdsInput = {}): AuditThresholds {
  return parseOptions(thresholdsSchema, input, "audit thresholds");
}
