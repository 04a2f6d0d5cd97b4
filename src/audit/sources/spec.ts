/**
 * Spec source: an mqa topology spec, turned into the same model as a broker by the topology module
 * (`specToDefinitions`, `specToRedisModel` from src/topology/mod.ts). The audit depends only on
 * {@link SpecCompiler}, so the two modules meet at this one interface.
 */
import { z } from "zod";
import { formatIssues } from "../../core/options.js";
import type { AuditModel, RedisModel } from "../model.js";
import { AuditInputError, parseDefinitions } from "./definitions.js";
import { emptyModel } from "./empty.js";

/** What the audit needs from the topology module. */
export interface SpecCompiler {
  /**
   * Validate a parsed spec document (throwing an error that names each bad path) and expand it into
   * RabbitMQ definitions (the `export_definitions` JSON shape) and its Redis streams with groups and retention.
   */
  compile(document: unknown, source: string): { definitions: unknown; redis: unknown };
}

const specRedisSchema = z.looseObject({
  streams: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        key: z.string().optional(),
        role: z.string().optional(),
        groups: z.array(z.union([z.string(), z.looseObject({ name: z.string() })])).default([]),
        trim: z.looseObject({ maxLength: z.number().optional(), maxAgeMs: z.number().optional() }).optional(),
        retention: z
          .looseObject({
            maxLen: z.number().optional(),
            maxLength: z.number().optional(),
            minIdAgeMs: z.number().optional(),
            maxAgeMs: z.number().optional(),
          })
          .optional(),
      }),
    )
    .default([]),
});

/** Declared retention, or undefined when the spec declares none (an empty object counts as none). */
function retentionOf(
  r: { maxLen?: number; maxLength?: number; minIdAgeMs?: number; maxAgeMs?: number } | undefined,
) {
  const maxLen = r?.maxLen ?? r?.maxLength;
  const minIdAgeMs = r?.minIdAgeMs ?? r?.maxAgeMs;
  if (maxLen === undefined && minIdAgeMs === undefined) return undefined;
  return { ...(maxLen !== undefined ? { maxLen } : {}), ...(minIdAgeMs !== undefined ? { minIdAgeMs } : {}) };
}

/** Convert the topology module's Redis view into the audit's Redis model (server facts unknown). */
export function redisModelFromSpec(input: unknown, what: string): RedisModel {
  const r = specRedisSchema.safeParse(input ?? {});
  if (!r.success) {
    const issues = formatIssues(r.error.issues);
    throw new AuditInputError(
      `unexpected Redis model from spec ${what}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
    );
  }
  return {
    url: what,
    tls: false,
    config: undefined,
    configUnavailable: "a spec declares no server configuration",
    info: {},
    aclUsers: undefined,
    fromSpec: true,
    // A group's retry stream is emptied by the transport itself (XACK + XDEL), so it needs no retention.
    streams: r.data.streams
      .filter((s) => s.role !== "retry")
      .map((s) => ({
        key: s.key ?? s.name ?? "(unnamed)",
        length: 0,
        firstEntryId: undefined,
        lastGeneratedId: "0-0",
        entriesAdded: undefined,
        maxDeletedEntryId: undefined,
        retention: retentionOf(s.retention ?? s.trim),
        groups: s.groups.map((g) => ({
          name: typeof g === "string" ? g : g.name,
          consumers: [],
          pending: 0,
          lastDeliveredId: "0-0",
          entriesRead: undefined,
          lag: undefined,
          lagDelta: undefined,
          pendingDelta: undefined,
          oldestPendingId: undefined,
          maxDeliveryCount: undefined,
        })),
      })),
  };
}

/** Build the audit model for a parsed spec document. */
export function modelFromSpec(spec: unknown, path: string, compiler: SpecCompiler): AuditModel {
  const model = emptyModel({ kind: "spec-file", target: path });
  const { definitions, redis } = compiler.compile(spec, path);
  const parsed = parseDefinitions(definitions ?? {}, path, model.secrets);
  const hasRabbit =
    parsed.queues.length + parsed.exchanges.length + parsed.users.length + parsed.policies.length > 0;
  if (hasRabbit) model.rabbit = { definitions: parsed, live: undefined };
  const redisModel = redisModelFromSpec(redis, path);
  if (redisModel.streams.length > 0) model.redis = redisModel;
  return model;
}

let registered: SpecCompiler | undefined;

/** Install the topology module's compiler (done once by the CLI; tests may pass their own). */
export function setSpecCompiler(compiler: SpecCompiler | undefined): void {
  registered = compiler;
}

/** The installed compiler, if any. */
export function getSpecCompiler(): SpecCompiler | undefined {
  return registered;
}
