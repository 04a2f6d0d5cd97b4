/** Fixture builders for audit tests: clean models to mutate one fact at a time. */
import { readFileSync } from "node:fs";
import { vi } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { fileURLToPath } from "node:url";
import { runAudit } from "../../src/audit/engine.js";
import type { Finding } from "../../src/audit/finding.js";
import type { AuditModel, RabbitLive, RedisModel, RedisStream } from "../../src/audit/model.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import { parseDefinitions } from "../../src/audit/sources/definitions.js";
import { emptyModel } from "../../src/audit/sources/empty.js";
import { parseConfigText, rabbitConfigModel, redisConfigModel } from "../../src/audit/sources/config-file.js";
import type { AuditThresholdsInput } from "../../src/audit/thresholds.js";

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

type J = Record<string, unknown>;
export interface DefsJson {
  rabbit_version?: string;
  rabbitmq_version?: string;
  users: (J & { name: string; password_hash: string; hashing_algorithm: string; tags: string[] | string })[];
  vhosts: (J & { name: string })[];
  permissions: (J & { user: string; vhost: string; configure: string; write: string; read: string })[];
  parameters: (J & { vhost: string; component: string; name: string; value: J })[];
  policies: (J & {
    vhost: string;
    name: string;
    pattern: string;
    "apply-to": string;
    priority: number;
    definition: J;
  })[];
  operator_policies?: DefsJson["policies"];
  queues: (J & {
    name: string;
    vhost: string;
    durable: boolean;
    auto_delete: boolean;
    exclusive?: boolean;
    arguments: J;
  })[];
  exchanges: (J & {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: J;
  })[];
  bindings: (J & {
    source: string;
    vhost: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: J;
  })[];
}

/** A fresh copy of the well-configured definitions fixture. */
export function cleanDefs(): DefsJson {
  return JSON.parse(readFileSync(fixture("clean-definitions.json"), "utf8")) as DefsJson;
}

/** Find a queue in the JSON by name (throws when the fixture changed). */
export function queueJ(d: DefsJson, name: string): DefsJson["queues"][number] {
  const q = d.queues.find((x) => x.name === name);
  if (!q) throw new Error(`fixture has no queue ${name}`);
  return q;
}

/** Add a queue in vhost "orders". */
export function addQueue(
  d: DefsJson,
  name: string,
  args: J = {},
  extra: Partial<DefsJson["queues"][number]> = {},
): void {
  d.queues.push({ name, vhost: "orders", durable: true, auto_delete: false, arguments: args, ...extra });
}

export function addPolicy(
  d: DefsJson,
  name: string,
  pattern: string,
  definition: J,
  priority = 20,
  applyTo = "queues",
): void {
  d.policies.push({ vhost: "orders", name, pattern, "apply-to": applyTo, priority, definition });
}

/** A healthy 3-node cluster where every consumer acks with a bounded prefetch and every publisher confirms. */
export function cleanLive(): RabbitLive {
  const node = (name: string) => ({
    name,
    running: true,
    memAlarm: false,
    diskFreeAlarm: false,
    partitions: [],
    diskFreeLimit: 8 * 2 ** 30,
    memLimit: 6 * 2 ** 30,
    fdUsed: 120,
    fdTotal: 65536,
    procUsed: 900,
    procTotal: 1048576,
  });
  return {
    url: "https://ops-admin:****@rabbit.internal:15671/",
    loggedInAs: "ops-admin",
    loopbackHost: false,
    rabbitmqVersion: "4.2.3",
    releaseSeriesSupportStatus: "supported",
    nodes: [node("rabbit@a"), node("rabbit@b"), node("rabbit@c")],
    queues: [
      { vhost: "orders", name: "orders.work.payments", messages: 12, messagesUnacked: 10, consumers: 2 },
    ],
    consumers: [
      {
        vhost: "orders",
        queue: "orders.work.payments",
        consumerTag: "amq.ctag-1",
        channel: "10.0.0.5:50000 -> 10.0.0.1:5672 (1)",
        ackRequired: true,
        prefetchCount: 50,
      },
    ],
    channels: [
      {
        name: "10.0.0.5:50000 -> 10.0.0.1:5672 (1)",
        vhost: "orders",
        user: "orders",
        confirm: true,
        published: 1000,
        publishRate: 12,
        prefetchCount: 50,
        globalPrefetchCount: 0,
      },
    ],
    deprecatedFeaturesUsed: [],
  };
}

/** Build a model from definitions JSON, optionally with live facts. */
export function rabbitModel(d: DefsJson, live?: RabbitLive): AuditModel {
  const model = emptyModel(
    live ? { kind: "rabbitmq-live", target: live.url } : { kind: "definitions-file", target: "defs.json" },
  );
  model.rabbit = { definitions: parseDefinitions(d, "defs.json", model.secrets), live };
  return model;
}

export function cleanStream(key = "orders:events"): RedisStream {
  return {
    key,
    length: 50_000,
    firstEntryId: "1700000100000-0",
    lastGeneratedId: "1700000900000-0",
    entriesAdded: 900_000,
    maxDeletedEntryId: "1700000099999-0",
    retention: undefined,
    groups: [
      {
        name: "billing",
        consumers: [{ name: "billing-1", pending: 3, idleMs: 120 }],
        pending: 3,
        lastDeliveredId: "1700000899000-0",
        entriesRead: 10,
        lag: 4,
        lagDelta: -2,
        pendingDelta: 0,
        oldestPendingId: "1700000898000-0",
        maxDeliveryCount: 1,
      },
    ],
  };
}

/** A well-configured Redis: AOF everysec, noeviction with a limit, TLS, passworded default user. */
export function cleanRedis(): RedisModel {
  return {
    url: "rediss://:****@redis.internal:6380",
    tls: true,
    config: {
      appendonly: "yes",
      appendfsync: "everysec",
      save: "3600 1 300 100",
      "no-appendfsync-on-rewrite": "no",
      maxmemory: String(4 * 2 ** 30),
      "maxmemory-policy": "noeviction",
      "protected-mode": "yes",
      "tls-port": "6380",
      requirepass: "****",
    },
    configUnavailable: undefined,
    info: {
      used_memory: String(2 ** 30),
      rdb_last_bgsave_status: "ok",
      aof_last_bgrewrite_status: "ok",
      aof_last_write_status: "ok",
    },
    aclUsers: [
      { name: "default", enabled: false, nopass: true, allCommands: true, allKeys: true, dangerous: true },
      { name: "orders", enabled: true, nopass: false, allCommands: false, allKeys: false, dangerous: false },
      { name: "admin", enabled: true, nopass: false, allCommands: true, allKeys: true, dangerous: true },
    ],
    streams: [cleanStream()],
    fromSpec: false,
  };
}

export function redisModel(r: RedisModel): AuditModel {
  const model = emptyModel({ kind: "redis-live", target: r.url });
  model.redis = r;
  return model;
}

/** Findings of one rule (run alone) on a model. */
export function findingsOf(model: AuditModel, ruleId: string, thresholds?: AuditThresholdsInput): Finding[] {
  const rule = ALL_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return runAudit(model, { rules: [rule], thresholds });
}

/** A model from rabbitmq.conf (or advanced.config) text, as the offline config audit builds it. */
export function rabbitConfModel(
  text: string,
  kind: "rabbitmq-conf" | "advanced-config" = "rabbitmq-conf",
): AuditModel {
  const file = kind === "rabbitmq-conf" ? "rabbitmq.conf" : "advanced.config";
  return rabbitConfigModel({ kind: "config-file", target: file }, [parseConfigText(kind, text, file)]);
}

/** A model from redis.conf text. */
export function redisConfModel(text: string): AuditModel {
  return redisConfigModel(
    { kind: "config-file", target: "redis.conf" },
    parseConfigText("redis-conf", text, "redis.conf"),
  );
}

/** Run `mqa audit <args>` through the real program, capturing stdout, stderr and the exit code. */
export async function runAuditCli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  const o = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi
    .spyOn(process.stderr, "write")
    .mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  process.exitCode = 0;
  try {
    const program = buildProgram().exitOverride();
    for (const c of program.commands) c.exitOverride(); // subcommands do not inherit it after creation
    await program.parseAsync(["node", "mqa", "audit", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}
