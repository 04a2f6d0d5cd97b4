/**
 * Several targets in one run: a directory (its recognised files, not recursive), a docker-compose file
 * (the rabbitmq.conf / advanced.config / redis.conf / definitions it mounts, and redis-server flags in
 * `command:`), or Helm values (rabbitmq.conf, advanced.config or redis.conf text embedded under
 * `configuration:`-style keys, as in the Bitnami charts). Each becomes its own model; findings keep the
 * file and line they come from, and one report covers them all.
 */
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { isScalar, LineCounter, parseDocument, Scalar } from "yaml";
import type { Node as YamlNode } from "yaml";
import { MAX_SPEC_BYTES_ENV, maxSpecBytes } from "../../topology/mod.js";
import type { AuditModel, AuditSource, ConfigFileKind, ConfigSetting } from "../model.js";
import { detectConfigKind, parseConfigText, rabbitConfigModel, redisConfigModel } from "./config-file.js";
import { AuditInputError } from "./definitions.js";
import { isDefinitionsDocument, loadFile } from "./load.js";
import type { LoadOptions } from "./load.js";

/** Files of a directory the audit looks at, at most. */
export const MAX_DIRECTORY_FILES = 500;

export interface LoadedTargets {
  source: AuditSource;
  models: AuditModel[];
  /** What was skipped and why (unknown files, mounts outside the compose directory, ...). */
  notes: string[];
}

type Parsed = { kind: ConfigFileKind; file: string; settings: ConfigSetting[] };

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Read a text file under the spec size limit, naming the file in every error. */
export async function readConfigText(path: string): Promise<string> {
  const size = await stat(path).then(
    (s) => s.size,
    (err: unknown) => {
      throw new AuditInputError(
        `cannot read ${path}: ${(err as { code?: string }).code ?? "unknown error"}`,
        {
          cause: err,
        },
      );
    },
  );
  const limit = maxSpecBytes();
  if (size > limit)
    throw new AuditInputError(
      `${path}: the file is ${mib(size)}, over the limit of ${mib(limit)}; nothing was parsed (raise the limit with ${MAX_SPEC_BYTES_ENV}=<bytes>)`,
      { details: { path, bytes: size, limit } },
    );
  return readFile(path, "utf8");
}

/** Models for parsed config files: RabbitMQ files of one node merged, each redis.conf on its own. */
function modelsFor(source: AuditSource, parsed: Parsed[]): AuditModel[] {
  const rabbit = parsed.filter((p) => p.kind !== "redis-conf");
  const models: AuditModel[] = [];
  if (rabbit.length > 0) models.push(rabbitConfigModel(source, rabbit));
  for (const p of parsed.filter((x) => x.kind === "redis-conf")) models.push(redisConfigModel(source, p));
  return models;
}

const YAML_OR_JSON = new Set([".yaml", ".yml", ".json"]);

/** A compose file has `services:` whose entries look like containers. */
export function isComposeDocument(doc: unknown): boolean {
  if (!isRecord(doc) || !isRecord(doc["services"])) return false;
  return Object.values(doc["services"]).some(
    (s) => isRecord(s) && ("image" in s || "build" in s || "volumes" in s || "command" in s),
  );
}

/** Keys under which Helm values embed configuration text (Bitnami rabbitmq and redis charts). */
const EMBEDDED: { path: string[]; kind: ConfigFileKind }[] = [
  { path: ["configuration"], kind: "rabbitmq-conf" },
  { path: ["extraConfiguration"], kind: "rabbitmq-conf" },
  { path: ["advancedConfiguration"], kind: "advanced-config" },
  { path: ["commonConfiguration"], kind: "redis-conf" },
  { path: ["master", "configuration"], kind: "redis-conf" },
  { path: ["replica", "configuration"], kind: "redis-conf" },
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Helm values: a YAML map with one of the embedded-configuration keys holding text. */
export function isHelmValuesDocument(doc: unknown): boolean {
  return EMBEDDED.some((e) => {
    let v: unknown = doc;
    for (const k of e.path) v = isRecord(v) ? v[k] : undefined;
    return typeof v === "string" && v.trim() !== "";
  });
}

/**
 * Embedded text as it would be written to the node: Helm template lines (`{{- if … }}`) blanked, so both
 * branches of a conditional are judged; line numbers are kept.
 */
function untemplated(text: string): string {
  return text
    .split("\n")
    .map((l) => (/^\s*\{\{.*\}\}\s*$/.test(l) ? "" : l))
    .join("\n");
}

/** Line (1-based) of the first line of a scalar's text inside the YAML file. */
function textStartLine(node: YamlNode, counter: LineCounter): number {
  const at = counter.linePos(node.range?.[0] ?? 0).line;
  const block = isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED);
  return block ? at + 1 : at;
}

async function helmValues(path: string, text: string): Promise<{ parsed: Parsed[]; notes: string[] }> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const parsed: Parsed[] = [];
  for (const e of EMBEDDED) {
    const node = doc.getIn(e.path, true);
    if (!isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") continue;
    // Pad with blank lines so the parsers report lines of the values file itself.
    const padded = "\n".repeat(textStartLine(node as YamlNode, counter) - 1) + untemplated(node.value);
    // Values that are template expressions stay as written: rules treat them as unknown, never as a secret.
    parsed.push(parseConfigText(e.kind, padded, path));
  }
  return { parsed, notes: [] };
}

/** `redis-server --appendonly no --requirepass x` in a compose `command:` as redis.conf directives. */
function redisServerFlags(command: unknown): { conf: string[]; files: string[] } | undefined {
  const words = Array.isArray(command)
    ? command.map(String)
    : typeof command === "string"
      ? command.split(/\s+/).filter((w) => w !== "")
      : [];
  const at = words.findIndex((w) => /(^|\/)redis-server$/.test(w));
  if (at < 0) return undefined;
  const conf: string[] = [];
  const files: string[] = [];
  let cur: string[] | undefined;
  for (const w of words.slice(at + 1)) {
    if (w.startsWith("--")) {
      if (cur) conf.push(cur.join(" "));
      cur = [w.slice(2)];
    } else if (cur) cur.push(/^\S+$/.test(w) ? w : JSON.stringify(w));
    else if (w.endsWith(".conf")) files.push(w);
  }
  if (cur) conf.push(cur.join(" "));
  return { conf, files };
}

/** Kind of a mounted file from where the container expects it, else from its own name and content. */
function kindFromMount(target: string): ConfigFileKind | "definitions" | undefined {
  const name = basename(target);
  if (name === "rabbitmq.conf" || /\/rabbitmq\/conf\.d\/.+\.conf$/.test(target)) return "rabbitmq-conf";
  if (name === "advanced.config") return "advanced-config";
  if (/redis.*\.conf$/.test(name) || /\/redis\/.+\.conf$/.test(target)) return "redis-conf";
  if (/definitions.*\.json$/.test(name)) return "definitions";
  return undefined;
}

async function composeFile(
  path: string,
  text: string,
  options: LoadOptions,
): Promise<{ models: AuditModel[]; notes: string[] }> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const js = doc.toJS() as Record<string, unknown>;
  const root = dirname(resolve(path));
  const notes: string[] = [];
  const models: AuditModel[] = [];
  const configs = isRecord(js["configs"]) ? js["configs"] : {};
  const services = isRecord(js["services"]) ? js["services"] : {};
  const source: AuditSource = { kind: "compose-file", target: path };
  for (const [service, raw] of Object.entries(services)) {
    if (!isRecord(raw)) continue;
    const mounts: { source: string; target: string }[] = [];
    for (const v of Array.isArray(raw["volumes"]) ? raw["volumes"] : []) {
      if (typeof v === "string") {
        const [src, target] = v.split(":");
        if (src && target && /^[./]/.test(src)) mounts.push({ source: src, target });
      } else if (isRecord(v) && typeof v["source"] === "string" && typeof v["target"] === "string")
        mounts.push({ source: v["source"], target: v["target"] });
    }
    for (const c of Array.isArray(raw["configs"]) ? raw["configs"] : []) {
      const name = typeof c === "string" ? c : isRecord(c) ? String(c["source"]) : "";
      const target = isRecord(c) && typeof c["target"] === "string" ? c["target"] : `/${name}`;
      const def = configs[name];
      if (isRecord(def) && typeof def["file"] === "string") mounts.push({ source: def["file"], target });
    }
    const parsed: Parsed[] = [];
    for (const m of mounts) {
      const abs = isAbsolute(m.source) ? m.source : resolve(root, m.source);
      const rel = relative(root, abs);
      if (rel.startsWith("..") || isAbsolute(rel)) {
        notes.push(
          `${path}: service ${service} mounts ${m.source}, outside the compose file's directory: not read`,
        );
        continue;
      }
      const info = await lstat(abs).catch(() => undefined);
      if (!info?.isFile()) {
        if (kindFromMount(m.target))
          notes.push(
            `${path}: service ${service} mounts ${m.source} at ${m.target}, which is not a file here: not read`,
          );
        continue;
      }
      const text = await readConfigText(abs);
      const mountKind = kindFromMount(m.target);
      const display = join(dirname(path), rel);
      if (mountKind === "definitions") {
        models.push(await loadFile(display, options));
        continue;
      }
      const kind = mountKind ?? detectConfigKind(abs, text);
      if (kind) parsed.push(parseConfigText(kind, text, display));
    }
    const flags = redisServerFlags(raw["command"]);
    if (flags && flags.conf.length > 0) {
      const node = doc.getIn(["services", service, "command"], true) as YamlNode | undefined;
      const line = node ? counter.linePos(node.range?.[0] ?? 0).line : 1;
      // Every flag points at the command's line: padded so the redis.conf parser reports that line.
      const padded = "\n".repeat(line - 1) + flags.conf.join("\n");
      const parsedFlags = parseConfigText("redis-conf", padded, path);
      parsedFlags.settings = parsedFlags.settings.map((s) => ({ ...s, line }));
      parsed.push(parsedFlags);
    }
    models.push(...modelsFor({ ...source, target: `${path} (service ${service})` }, parsed));
  }
  return { models, notes };
}

/** What a YAML/JSON file is, for the multi-target loader. */
async function yamlKind(
  path: string,
): Promise<{ kind: "compose" | "helm" | "definitions" | "other"; text: string }> {
  const text = await readConfigText(path);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { kind: "other", text };
  const js = doc.toJS() as unknown;
  if (isComposeDocument(js)) return { kind: "compose", text };
  if (isHelmValuesDocument(js)) return { kind: "helm", text };
  if (isDefinitionsDocument(js)) return { kind: "definitions", text };
  return { kind: "other", text };
}

/** Models of one file: a config file, a compose file, Helm values, or (through loadFile) definitions and specs. */
export async function loadFileTargets(path: string, options: LoadOptions = {}): Promise<LoadedTargets> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  if (size <= maxSpecBytes()) {
    const text = await readConfigText(path);
    const kind = detectConfigKind(path, text);
    if (kind) {
      const source: AuditSource = { kind: "config-file", target: path };
      return { source, models: modelsFor(source, [parseConfigText(kind, text, path)]), notes: [] };
    }
    if (!/^\s*[{[]/.test(text)) {
      const { kind: yk } = await yamlKind(path);
      if (yk === "compose") {
        const { models, notes } = await composeFile(path, text, options);
        return { source: { kind: "compose-file", target: path }, models, notes };
      }
      if (yk === "helm") {
        const source: AuditSource = { kind: "helm-values", target: path };
        const { parsed, notes } = await helmValues(path, text);
        return { source, models: modelsFor(source, parsed), notes };
      }
    }
  }
  const model = await loadFile(path, options);
  return { source: model.source, models: [model], notes: [] };
}

/** Every recognised file directly in `dir` (subdirectories are not entered), as one set of targets. */
export async function loadDirectory(dir: string, options: LoadOptions = {}): Promise<LoadedTargets> {
  const source: AuditSource = { kind: "directory", target: dir };
  const notes: string[] = [];
  const models: AuditModel[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  if (entries.length > MAX_DIRECTORY_FILES)
    throw new AuditInputError(
      `${dir}: ${entries.length} entries, more than the ${MAX_DIRECTORY_FILES} a directory audit reads; audit the files one by one or a smaller directory`,
    );
  // rabbitmq.conf and advanced.config of one directory configure one node: judged together.
  const node: Parsed[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      notes.push(`${path}/: a subdirectory, not entered (audit it on its own)`);
      continue;
    }
    if (!e.isFile()) {
      notes.push(`${path}: not a regular file, skipped`);
      continue;
    }
    if (e.name.startsWith(".")) continue;
    const text = await readConfigText(path).catch((err: unknown) => {
      notes.push(`${path}: skipped (${err instanceof Error ? err.message : String(err)})`);
      return undefined;
    });
    if (text === undefined) continue;
    const kind = detectConfigKind(path, text);
    if (kind) {
      const parsed = parseConfigText(kind, text, path);
      if (kind !== "redis-conf" && (e.name === "rabbitmq.conf" || e.name === "advanced.config"))
        node.push(parsed);
      else models.push(...modelsFor({ kind: "config-file", target: path }, [parsed]));
      continue;
    }
    if (!YAML_OR_JSON.has(extname(e.name).toLowerCase())) {
      notes.push(
        `${path}: not a recognised kind (rabbitmq.conf, advanced.config, redis.conf, definitions, compose, Helm values, spec), skipped`,
      );
      continue;
    }
    const { kind: yk } = await yamlKind(path);
    if (yk === "other" && !/(spec|topology|mqa)/i.test(e.name)) {
      notes.push(`${path}: YAML/JSON that is not definitions, compose or Helm values, skipped`);
      continue;
    }
    const loaded = await loadFileTargets(path, options);
    models.push(...loaded.models);
    notes.push(...loaded.notes);
  }
  if (node.length > 0) models.unshift(...modelsFor({ kind: "config-file", target: dir }, node));
  if (models.length === 0) notes.push(`${dir}: no recognised file`);
  return { source, models, notes };
}

/** Is `path` a directory? */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
