/**
 * What a team knows before choosing a broker: volume, size, latency, durability, ordering, fan-out and
 * replay. Validated with zod; every error names its field.
 */
import { z } from "zod";
import { durationMs } from "../spec/duration.js";

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB)?$/i;
const UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1_000_000, mib: 1024 * 1024 };

/** `256`, `"4KiB"`, `"1.5 MB"` → bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === "number") return value;
  const m = SIZE.exec(value.trim());
  if (!m) throw new RangeError(`not a size: ${JSON.stringify(value)} (write e.g. 512, 4KiB, 1MB)`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? "b").toLowerCase()]!);
}

/** A number as is, or text read by `parse`; a parse error becomes the field's validation issue. */
function numberOrText(base: z.ZodNumber, parse: (text: string | number) => number) {
  return z.union([base, z.string()]).transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });
}

const size = numberOrText(z.number().int().positive(), parseSize);
const duration = numberOrText(z.number().int().nonnegative(), durationMs);

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "letters, digits, '.', '_' and '-', starting with a letter or digit",
});

export const requirementsSchema = z.strictObject({
  /** The topic (and spec) name. @defaultValue "events" */
  name: name.default("events"),
  /** Peak messages per second. */
  rate: z.number().positive(),
  /** Typical message size. @defaultValue 1KiB */
  messageSize: size.default(1024),
  /** End-to-end p99 latency target in ms (publish to handler). @defaultValue 100 */
  latencyP99Ms: z.number().positive().default(100),
  /**
   * `strict`: no confirmed message may be lost even when a broker node dies (replication with consensus,
   * fsync). `standard`: survives process crashes and broker restarts (on disk). `best-effort`: the most
   * recent messages may be lost in a broker crash. @defaultValue "standard"
   */
  durability: z.enum(["strict", "standard", "best-effort"]).default("standard"),
  /** @defaultValue "none" */
  ordering: z.enum(["none", "per-key", "global"]).default("none"),
  /** Consumer groups that each get every message (fan-out). @defaultValue ["workers"] */
  groups: z.array(name).min(1).default(["workers"]),
  /** How far back a consumer must be able to re-read (0: no replay). @defaultValue 0 */
  replay: duration.default(0),
  /** Time a handler takes per message, to size the consumers. @defaultValue 20ms */
  handlerTime: duration.default(20),
  /** Attempts per message before it is dead-lettered. @defaultValue 5 */
  attempts: z.number().int().min(1).max(100).default(5),
  /** Brokers the team can run. @defaultValue both */
  brokers: z
    .array(z.enum(["rabbitmq", "redis"]))
    .min(1)
    .default(["rabbitmq", "redis"]),
  /** Memory a Redis may give to this system's streams, in bytes or with a unit. @defaultValue 4GiB */
  redisMemory: size.default(4 * 1024 ** 3),
  /**
   * Traffic classes with their own latency target (`{ name, share, latencyP99Ms }`, shares adding up to 1):
   * when the targets differ, each class gets a lane of its own (priority lanes). @defaultValue [] (one class)
   */
  latencyClasses: z
    .array(
      z.strictObject({
        name,
        /** Fraction of `rate` this class carries, 0 < share ≤ 1. */
        share: z.number().positive().max(1),
        latencyP99Ms: z.number().positive(),
      }),
    )
    .max(8)
    .refine((cs) => cs.length === 0 || Math.abs(cs.reduce((n, c) => n + c.share, 0) - 1) < 0.001, {
      error: "the shares must add up to 1",
    })
    .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, {
      error: "each class needs its own name",
    })
    .default([]),
});

/** The requirement fields, in the order the report lists assumptions. */
export const REQUIREMENT_FIELDS = Object.keys(requirementsSchema.shape) as (keyof Requirements)[];

export type Requirements = z.output<typeof requirementsSchema>;
export type RequirementsInput = z.input<typeof requirementsSchema>;

/** Several flows designed together (`flows:` in a requirements file); each flow's name is its topic. */
export const systemRequirementsSchema = z.strictObject({
  flows: z.array(requirementsSchema).min(1),
});

export type SystemRequirementsInput = z.input<typeof systemRequirementsSchema>;
