/**
 * Offline audit of configuration files: rabbitmq.conf, advanced.config and redis.conf become the same
 * audit model as a live broker's configuration, so the live rules judge them too, and findings point at
 * the file and line where the setting was written.
 */
import { basename } from "node:path";
import type { AuditModel, AuditSource, ConfigFileKind, ConfigSetting, RedisModel } from "../model.js";
import { parseAdvancedConfig } from "./config/advanced-config.js";
import { parseRabbitmqConf } from "./config/rabbitmq-conf.js";
import { parseRedisConf } from "./config/redis-conf.js";
import { emptyModel } from "./empty.js";

/** Which configuration file `text` is, by its name first and its content second; undefined for neither. */
export function detectConfigKind(path: string, text: string): ConfigFileKind | undefined {
  const name = basename(path).toLowerCase();
  if (name === "rabbitmq.conf" || /^rabbitmq[\w.-]*\.conf$/.test(name)) return "rabbitmq-conf";
  if (name === "advanced.config" || /^rabbitmq[\w.-]*\.config$/.test(name)) return "advanced-config";
  if (/^redis[\w.-]*\.conf$/.test(name)) return "redis-conf";
  return detectByContent(name, text);
}

const RABBIT_KEYS =
  /^(listeners|loopback_users|vm_memory_high_watermark|disk_free_limit|default_(user|pass|vhost)|management|cluster_formation|log|consumer_timeout|ssl_options|auth_|queue_master_locator|total_memory_available_override_value|heartbeat|channel_max|collect_statistics_interval|mqtt|stomp|prometheus)/;
const REDIS_KEYS =
  /^(bind|port|protected-mode|appendonly|appendfsync|save|maxmemory|maxmemory-policy|requirepass|masterauth|rename-command|dir|dbfilename|daemonize|tcp-backlog|timeout|loglevel|databases|replicaof|slaveof|aclfile|user|include|io-threads|tls-port)$/i;

/** Content detection: settings lines in one of the three formats, with keys each format is known by. */
function detectByContent(name: string, text: string): ConfigFileKind | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("%"));
  if (lines.length === 0) return undefined;
  const first = lines[0]!;
  if (
    (name.endsWith(".config") || first.startsWith("[")) &&
    /\]\s*\.\s*(%.*)?$/.test(lines[lines.length - 1]!) &&
    /^\[\s*(\{|$)/.test(first)
  )
    return "advanced-config";
  const sample = lines.slice(0, 200);
  const rabbit = sample.filter((l) => /^[\w.$-]+\s*=\s*\S/.test(l));
  const redis = sample.filter((l) => /^[a-zA-Z][a-zA-Z0-9-]*\s+\S/.test(l) && !l.includes("="));
  if (rabbit.length === sample.length && rabbit.some((l) => RABBIT_KEYS.test(l))) return "rabbitmq-conf";
  // A Sentinel configuration looks like a redis.conf but configures no data: not judged as one.
  const sentinel = redis.some((l) => /^sentinel\s/i.test(l));
  if (redis.length === sample.length && !sentinel && redis.some((l) => REDIS_KEYS.test(l.split(/\s+/)[0]!)))
    return "redis-conf";
  return undefined;
}

/** Parse one configuration file's text into its settings (RabbitMQ) or directives (Redis). */
export function parseConfigText(
  kind: ConfigFileKind,
  text: string,
  file: string,
): { kind: ConfigFileKind; file: string; settings: ConfigSetting[] } {
  if (kind === "rabbitmq-conf") return { kind, file, settings: parseRabbitmqConf(text, file) };
  if (kind === "advanced-config") return { kind, file, settings: parseAdvancedConfig(text, file) };
  return {
    kind,
    file,
    settings: parseRedisConf(text, file).map((d) => ({
      key: d.name,
      // rename-command and user keep their arguments apart; everything else is one value.
      value: d.name === "save" && d.args.length === 1 && d.args[0] === "" ? "" : JSON.stringify(d.args),
      file,
      line: d.line,
    })),
  };
}

const SECRET_KEY = /(^|[._])(pass|password|secret)$/i;

/**
 * A model for RabbitMQ configuration files (one node: rabbitmq.conf and/or advanced.config, the latter
 * winning key by key). Secret values are recorded for scrubbing and never reported.
 */
export function rabbitConfigModel(
  source: AuditSource,
  files: { kind: ConfigFileKind; file: string; settings: ConfigSetting[] }[],
): AuditModel {
  const model = emptyModel(source);
  const ordered = [...files].sort(
    (a, b) => Number(a.kind === "advanced-config") - Number(b.kind === "advanced-config"),
  );
  const settings = new Map<string, ConfigSetting>();
  for (const f of ordered) for (const s of f.settings) settings.set(s.key, s);
  // guest is the well-known default, not a secret: masking it would turn "guest" into **** in every message.
  for (const s of settings.values())
    if (SECRET_KEY.test(s.key) && s.value !== "guest") model.secrets.add(s.value);
  model.rabbitConfig = { files: files.map((f) => ({ file: f.file, kind: f.kind })), settings };
  model.settingLines = new Map([...settings].map(([k, s]) => [k, { file: s.file, line: s.line }]));
  return model;
}

/** A model for one redis.conf: its directives as CONFIG values, plus what only the file shows. */
export function redisConfigModel(
  source: AuditSource,
  parsed: { file: string; settings: ConfigSetting[] },
): AuditModel {
  const model = emptyModel(source);
  const config: Record<string, string> = {};
  const lines = new Map<string, { file: string; line: number }>();
  const file = parsed.file;
  let bind: string[] | undefined;
  const renamed: { command: string; disabled: boolean; line: number }[] = [];
  const secrets: { name: string; line: number }[] = [];
  let saves: string[] | undefined;
  for (const s of parsed.settings) {
    const args = s.value === "" ? [""] : (JSON.parse(s.value) as string[]);
    lines.set(s.key, { file, line: s.line });
    switch (s.key) {
      case "save":
        // Several save lines add up; `save ""` clears them (snapshots off).
        saves = args.length === 1 && args[0] === "" ? [] : [...(saves ?? []), args.join(" ")];
        break;
      case "bind":
        bind = args;
        break;
      case "rename-command":
        if (args[0])
          renamed.push({ command: args[0].toUpperCase(), disabled: (args[1] ?? "") === "", line: s.line });
        break;
      case "requirepass":
      case "masterauth":
        if (args[0]) model.secrets.add(args[0]);
        if (args[0] && !args[0].includes("{{")) secrets.push({ name: s.key, line: s.line });
        config[s.key] = args[0] ?? "";
        break;
      case "user":
        // ACL rules: >password is a cleartext password (#hash is a SHA-256 and not a secret to scrub).
        for (const a of args.slice(1)) if (a.startsWith(">") && a.length > 1) model.secrets.add(a.slice(1));
        if (args.some((a) => a.startsWith(">")))
          secrets.push({ name: `user ${args[0] ?? ""}`, line: s.line });
        break;
      default:
        config[s.key] = args.join(" ");
    }
  }
  if (saves !== undefined) config["save"] = saves.join(" ");
  // Redis's own default, which the persistence rules must judge when the file does not say.
  config["appendonly"] ??= "no";
  const redis: RedisModel = {
    url: file,
    tls: config["tls-port"] !== undefined && config["tls-port"] !== "0",
    config,
    configUnavailable: undefined,
    info: {},
    aclUsers: undefined,
    streams: [],
    fromSpec: false,
    file: { file, bind, renamedCommands: renamed, secretDirectives: secrets },
  };
  model.redis = redis;
  model.settingLines = lines;
  return model;
}
