/** Turn an audit target (file path, management URL, redis URL) into the audit model. */
import type { AuditModel } from "../model.js";
import { AuditInputError, DEFINITIONS_KEYS, parseDefinitions } from "./definitions.js";
import { emptyModel } from "./empty.js";
import { loadRabbitLive } from "./rabbitmq-live.js";
import type { RabbitLiveOptions } from "./rabbitmq-live.js";
import { assertAuditSpecSize, readDocumentWithText } from "./read-document.js";
import { loadRedisLive } from "./redis-live.js";
import type { RedisLiveOptions } from "./redis-live.js";
import { getSpecCompiler, modelFromSpec } from "./spec.js";
import { topologySpecCompiler } from "./spec-topology.js";
import type { SpecCompiler } from "./spec.js";

export type TargetKind = "file" | "rabbitmq" | "redis";

/** Which source a target string names. */
export function targetKind(target: string): TargetKind {
  if (/^https?:\/\//i.test(target)) return "rabbitmq";
  if (/^rediss?:\/\//i.test(target)) return "redis";
  return "file";
}

export interface LoadOptions {
  rabbitmq?: RabbitLiveOptions;
  redis?: RedisLiveOptions;
  /** Compiler for topology specs. @defaultValue the one installed with setSpecCompiler */
  specCompiler?: SpecCompiler;
}

/** A parsed document is RabbitMQ definitions when it has any of their top-level keys. */
export function isDefinitionsDocument(doc: unknown): boolean {
  return (
    doc !== null && typeof doc === "object" && !Array.isArray(doc) && DEFINITIONS_KEYS.some((k) => k in doc)
  );
}

/** Load a definitions.json or spec file. */
export async function loadFile(path: string, options: LoadOptions = {}): Promise<AuditModel> {
  const { document: doc, text } = await readDocumentWithText(path);
  if (!isDefinitionsDocument(doc)) assertAuditSpecSize(path, text);
  const model = await modelFromDocument(doc, path, options);
  model.sourceLines = text.split("\n");
  return model;
}

async function modelFromDocument(doc: unknown, path: string, options: LoadOptions): Promise<AuditModel> {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    throw new AuditInputError(
      `${path}: expected a JSON/YAML object (RabbitMQ definitions or an mqa topology spec), or a configuration file (rabbitmq.conf, advanced.config, redis.conf: recognised by name or content)`,
    );
  if (isDefinitionsDocument(doc)) {
    const model = emptyModel({ kind: "definitions-file", target: path });
    model.rabbit = { definitions: parseDefinitions(doc, path, model.secrets), live: undefined };
    return model;
  }
  const compiler = options.specCompiler ?? getSpecCompiler() ?? topologySpecCompiler;
  return modelFromSpec(doc, path, compiler);
}

/** Load any target. */
export async function loadTarget(target: string, options: LoadOptions = {}): Promise<AuditModel> {
  switch (targetKind(target)) {
    case "rabbitmq":
      return loadRabbitLive(target, options.rabbitmq);
    case "redis":
      return loadRedisLive(target, options.redis);
    case "file":
      return loadFile(target, options);
  }
}
