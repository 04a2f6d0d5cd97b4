/**
 * Every rule, one by one: a small fixture that makes it fire and one that does not. The clean fixtures
 * (a well-configured definitions.json, a healthy live broker, a well-configured Redis) must raise nothing
 * high or critical — and, for each rule, nothing from that rule.
 */
import { describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import type { AuditModel } from "../../src/audit/model.js";
import { ALL_RULES } from "../../src/audit/rules/mod.js";
import type { AuditThresholdsInput } from "../../src/audit/thresholds.js";
import {
  addPolicy,
  addQueue,
  cleanDefs,
  cleanLive,
  cleanRedis,
  cleanStream,
  findingsOf,
  queueJ,
  rabbitConfModel,
  rabbitModel,
  redisConfModel,
  redisModel,
} from "./helpers.js";
import type { DefsJson } from "./helpers.js";
import type { RabbitLive, RedisModel } from "../../src/audit/model.js";

type Case = {
  /** Build a model on which the rule must fire; `expect` is a substring of some finding's resource or message. */
  fires: () => AuditModel;
  expect: string;
  /** A near miss on which it must stay silent (the clean fixture is always checked too). */
  passes?: () => AuditModel;
  thresholds?: AuditThresholdsInput;
};

const defs = (f: (d: DefsJson) => void) => (): AuditModel => {
  const d = cleanDefs();
  f(d);
  return rabbitModel(d);
};
const live = (f: (l: RabbitLive, d: DefsJson) => void) => (): AuditModel => {
  const d = cleanDefs();
  const l = cleanLive();
  f(l, d);
  return rabbitModel(d, l);
};
const redis = (f: (r: RedisModel) => void) => (): AuditModel => {
  const r = cleanRedis();
  f(r);
  return redisModel(r);
};
const group = (r: RedisModel) => r.streams[0]!.groups[0]!;

const CASES: Record<string, Case> = {
  // --- durability
  "rmq-non-durable-queue": {
    fires: defs((d) => (queueJ(d, "orders.work.emails").durable = false)),
    expect: "orders.work.emails",
    passes: defs((d) => addQueue(d, "orders.reply", {}, { durable: false, exclusive: true })),
  },
  "rmq-auto-delete-queue": {
    fires: defs((d) => (queueJ(d, "orders.work.emails").auto_delete = true)),
    expect: "orders.work.emails",
    passes: defs((d) => addQueue(d, "amq.gen-abc", {}, { auto_delete: true })),
  },
  "rmq-work-queue-expires": {
    fires: defs((d) =>
      addPolicy(d, "idle", "^orders\\.work\\.emails$", { expires: 60000 }, 50, "quorum_queues"),
    ),
    expect: "expires=60000 (policy idle)",
    passes: defs((d) => addQueue(d, "orders.tmp", { "x-expires": 60000 }, { auto_delete: true })),
  },
  "rmq-non-durable-exchange": {
    fires: defs((d) => (d.exchanges[0]!.durable = false)),
    expect: "exchange orders",
  },
  "rmq-auto-delete-exchange": {
    fires: defs((d) => (d.exchanges[0]!.auto_delete = true)),
    expect: "exchange orders",
  },
  "rmq-classic-queue-single-replica": {
    fires: live((_l, d) => addQueue(d, "orders.classic", {})),
    expect: "orders.classic",
    passes: live((l, d) => {
      addQueue(d, "orders.classic", {});
      l.nodes = l.nodes.slice(0, 1);
    }),
  },
  // --- dead-lettering
  "rmq-quorum-without-dlx": {
    fires: defs((d) => addQueue(d, "orders.q", { "x-queue-type": "quorum" })),
    expect: "orders.q",
    passes: defs((d) => addQueue(d, "orders.q.dlq", { "x-queue-type": "quorum" })),
  },
  "rmq-delivery-limit-disabled": {
    fires: defs((d) =>
      addPolicy(
        d,
        "nolimit",
        "^orders\\.work\\.emails$",
        { ...d.policies[0]!.definition, "delivery-limit": -1 },
        50,
      ),
    ),
    expect: "delivery-limit=-1",
    passes: defs((d) => {
      d.rabbitmq_version = "4.2.1";
      delete d.policies[0]!.definition["delivery-limit"]; // 4.x default is 20
    }),
  },
  "rmq-dlx-missing-exchange": {
    fires: defs((d) => (d.policies[0]!.definition["dead-letter-exchange"] = "orders.dlx-typo")),
    expect: 'exchange "orders.dlx-typo" is not declared',
  },
  "rmq-dlx-routes-nowhere": {
    fires: defs((d) => (d.bindings = d.bindings.filter((b) => b.source !== "orders.dlx"))),
    expect: "orders.dlx",
    passes: defs((d) => {
      d.exchanges[1]!.type = "direct";
      d.policies[0]!.definition["dead-letter-routing-key"] = "dead";
      d.bindings.find((b) => b.source === "orders.dlx")!.routing_key = "dead";
    }),
  },
  "rmq-at-least-once-drop-head": {
    fires: defs((d) => delete d.policies[0]!.definition["overflow"]),
    expect: "overflow unset",
  },
  "rmq-at-least-once-classic": {
    fires: defs((d) =>
      addQueue(d, "orders.classic", {
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
      }),
    ),
    expect: "orders.classic",
  },
  "rmq-drop-head-without-dlx": {
    fires: defs((d) => addQueue(d, "orders.bounded", { "x-max-length": 100 })),
    expect: "orders.bounded",
    passes: defs((d) =>
      addQueue(d, "orders.bounded", { "x-max-length": 100, "x-overflow": "reject-publish" }),
    ),
  },
  "rmq-ttl-without-dlx": {
    fires: defs((d) => addQueue(d, "orders.ttl", { "x-message-ttl": 60000 })),
    expect: "message-ttl=60000",
    passes: defs((d) =>
      addQueue(d, "orders.ttl", { "x-message-ttl": 60000, "x-dead-letter-exchange": "orders.dlx" }),
    ),
  },
  "rmq-dead-letter-cycle": {
    fires: defs((d) => {
      addQueue(d, "orders.cycle.dlq", {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "orders.cycle.dlx",
      });
      d.exchanges.push({
        name: "orders.cycle.dlx",
        vhost: "orders",
        type: "fanout",
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      });
      d.bindings.push({
        source: "orders.cycle.dlx",
        vhost: "orders",
        destination: "orders.cycle.dlq",
        destination_type: "queue",
        routing_key: "",
        arguments: {},
      });
    }),
    expect: "routes back to orders.cycle.dlq",
  },
  // --- replication and streams
  "rmq-ha-policy-keys": {
    fires: defs((d) => addPolicy(d, "ha", "^legacy\\.", { "ha-mode": "exactly", "ha-params": 2 })),
    expect: "ha-mode, ha-params",
  },
  "rmq-quorum-even-group-size": {
    fires: defs((d) => (queueJ(d, "orders.work.payments").arguments["x-quorum-initial-group-size"] = 4)),
    expect: "quorum-initial-group-size=4",
    passes: defs((d) => (queueJ(d, "orders.work.payments").arguments["x-quorum-initial-group-size"] = 5)),
  },
  "rmq-quorum-small-group-size": {
    fires: defs((d) => (queueJ(d, "orders.work.payments").arguments["x-quorum-initial-group-size"] = 1)),
    expect: "quorum-initial-group-size=1",
  },
  "rmq-replicated-queue-single-node": {
    fires: live((l) => (l.nodes = l.nodes.slice(0, 1))),
    expect: "1-node broker",
  },
  "rmq-stream-without-retention": {
    fires: defs((d) => (d.policies = d.policies.filter((p) => p.name !== "orders-events"))),
    expect: "stream orders.events",
    passes: defs((d) => {
      d.policies = d.policies.filter((p) => p.name !== "orders-events");
      queueJ(d, "orders.events").arguments["x-max-age"] = "1D";
    }),
  },
  // --- limits
  "rmq-no-length-limit": {
    fires: defs((d) => addQueue(d, "orders.unbounded", { "x-queue-type": "quorum" })),
    expect: "orders.unbounded",
    passes: defs((d) => addQueue(d, "orders.bounded", { "x-max-length-bytes": 1e9 })),
  },
  "rmq-vhost-without-limits": {
    fires: defs((d) => (d.parameters = d.parameters.filter((p) => p.component !== "vhost-limits"))),
    expect: "vhost orders",
  },
  "rmq-high-max-priority": {
    fires: defs((d) => addQueue(d, "orders.prio", { "x-max-priority": 255 })),
    expect: "max-priority=255",
    passes: defs((d) => addQueue(d, "orders.prio", { "x-max-priority": 5 })),
  },
  "rmq-lazy-mode": {
    fires: defs((d) => {
      addQueue(d, "orders.lazy", {});
      addPolicy(d, "lazy", "^orders\\.lazy$", { "queue-mode": "lazy" });
    }),
    expect: 'queue-mode="lazy" (policy lazy)',
  },
  "rmq-classic-queue-v1": {
    fires: defs((d) => addQueue(d, "orders.v1", { "x-queue-version": 1 })),
    expect: "orders.v1",
    passes: defs((d) => addQueue(d, "orders.v2", { "x-queue-version": 2 })),
  },
  "rmq-quorum-in-memory-limit": {
    fires: defs((d) => (queueJ(d, "orders.work.payments").arguments["x-max-in-memory-length"] = 1000)),
    expect: "max-in-memory-length=1000",
  },
  // --- policies
  "rmq-policy-invalid-pattern": {
    fires: defs((d) => addPolicy(d, "broken", "^orders\\.(", { "max-length": 1 })),
    expect: "broken",
  },
  "rmq-policy-matches-nothing": {
    fires: defs((d) => addPolicy(d, "typo", "^order\\.work\\.", { "max-length": 1 })),
    expect: "typo",
    passes: defs((d) =>
      addPolicy(d, "ex", "^orders$", { "alternate-exchange": "orders.dlx" }, 0, "exchanges"),
    ),
  },
  "rmq-policy-priority-tie": {
    fires: defs((d) => addPolicy(d, "tie", "^orders\\.work\\.", { "max-length": 5 }, 10, "quorum_queues")),
    expect: "both priority 10",
  },
  "rmq-policy-shadowed": {
    fires: defs((d) =>
      addPolicy(d, "specific", "^orders\\.work\\.payments$", { "max-length": 10 }, 50, "quorum_queues"),
    ),
    expect: "dead-letter-exchange",
    passes: defs((d) =>
      addPolicy(
        d,
        "specific",
        "^orders\\.work\\.payments$",
        { ...d.policies[0]!.definition, "max-length": 10 },
        50,
        "quorum_queues",
      ),
    ),
  },
  // --- topology
  "rmq-binding-dangling": {
    fires: defs((d) =>
      d.bindings.push({
        source: "orders",
        vhost: "orders",
        destination: "orders.gone",
        destination_type: "queue",
        routing_key: "x",
        arguments: {},
      }),
    ),
    expect: "queue orders.gone is not declared",
  },
  "rmq-exchange-routes-nowhere": {
    fires: defs((d) =>
      d.exchanges.push({
        name: "orders.audit",
        vhost: "orders",
        type: "fanout",
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      }),
    ),
    expect: "orders.audit",
    passes: defs((d) =>
      d.exchanges.push({
        name: "orders.audit",
        vhost: "orders",
        type: "fanout",
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: { "alternate-exchange": "orders.dlx" },
      }),
    ),
  },
  "rmq-alternate-exchange-missing": {
    fires: defs((d) => (d.exchanges[0]!.arguments["alternate-exchange"] = "orders.unrouted")),
    expect: "orders.unrouted",
  },
  "rmq-default-vhost-used": {
    fires: defs((d) =>
      d.queues.push({ name: "tasks", vhost: "/", durable: true, auto_delete: false, arguments: {} }),
    ),
    expect: "default vhost",
  },
  // --- security
  "rmq-guest-user": {
    fires: defs((d) =>
      d.users.push({
        name: "guest",
        password_hash: "",
        hashing_algorithm: "rabbit_password_hashing_sha256",
        tags: ["administrator"],
      }),
    ),
    expect: "user guest",
  },
  "rmq-guest-remote": {
    fires: live((l) => (l.loggedInAs = "guest")),
    expect: "guest",
    passes: live((l) => {
      l.loggedInAs = "guest";
      l.loopbackHost = true;
    }),
  },
  "rmq-password-equals-username": {
    fires: defs((d) =>
      d.users.push({
        name: "guest",
        password_hash: "yOXp51PvVpd9HutOuxbw5f/z4ZBYVufviHk44r+QYUwDQBkN",
        hashing_algorithm: "rabbit_password_hashing_sha256",
        tags: [],
      }),
    ),
    expect: "user guest",
  },
  "rmq-app-user-full-permissions": {
    fires: defs((d) => Object.assign(d.permissions[1]!, { configure: ".*", write: ".*", read: ".*" })),
    expect: "user orders",
  },
  "rmq-md5-password-hashing": {
    fires: defs((d) => (d.users[1]!.hashing_algorithm = "rabbit_password_hashing_md5")),
    expect: "user orders",
  },
  "rmq-plaintext-password": {
    fires: defs((d) => Object.assign(d.users[1]!, { password: "S3cret-Orders" })),
    expect: "cleartext",
  },
  "rmq-permission-unknown-user": {
    fires: defs((d) =>
      d.permissions.push({ user: "root", vhost: "orders", configure: ".*", write: ".*", read: ".*" }),
    ),
    expect: "user root",
    passes: defs((d) => {
      d.users = [];
      d.permissions.push({ user: "root", vhost: "orders", configure: "", write: "", read: "" });
    }),
  },
  "rmq-permission-literal-quotes": {
    fires: defs((d) => Object.assign(d.permissions[1]!, { configure: "''" })),
    expect: "literal regex ''",
    passes: defs((d) => Object.assign(d.permissions[1]!, { configure: "^$" })),
  },
  "rmq-shovel-plaintext-uri": {
    fires: defs((d) => (d.parameters[1]!.value["dest-uri"] = "amqp://rabbit-dr.internal")),
    expect: "amqp://rabbit-dr.internal",
    passes: defs((d) => (d.parameters[1]!.value["dest-uri"] = "amqp://")),
  },
  "rmq-shovel-uri-credentials": {
    fires: defs((d) => (d.parameters[1]!.value["dest-uri"] = "amqps://dr:Sh0vel-Secret@rabbit-dr.internal")),
    expect: "dr:****@",
  },
  "rmq-federation-plaintext-uri": {
    fires: defs((d) =>
      d.parameters.push({
        vhost: "orders",
        component: "federation-upstream",
        name: "eu",
        value: { uri: ["amqp://rabbit-eu.internal"] },
      }),
    ),
    expect: "federation-upstream eu",
  },
  "rmq-federation-uri-credentials": {
    fires: defs((d) =>
      d.parameters.push({
        vhost: "orders",
        component: "federation-upstream",
        name: "eu",
        value: { uri: "amqps://fed:F3d-Secret@rabbit-eu.internal" },
      }),
    ),
    expect: "fed:****@",
  },
  // --- live broker
  "rmq-auto-ack-consumer": {
    fires: live((l) => (l.consumers[0]!.ackRequired = false)),
    expect: "auto-ack",
  },
  "rmq-unlimited-prefetch": {
    fires: live((l) => (l.consumers[0]!.prefetchCount = 0)),
    expect: "prefetch_count 0",
    passes: live((l) => {
      l.consumers[0]!.prefetchCount = 0;
      l.consumers[0]!.ackRequired = false; // auto-ack has no prefetch: reported by rmq-auto-ack-consumer
    }),
  },
  "rmq-huge-prefetch": {
    fires: live((l) => (l.consumers[0]!.prefetchCount = 65535)),
    expect: "65535",
  },
  "rmq-publish-without-confirms": {
    fires: live((l) => (l.channels[0]!.confirm = false)),
    expect: "without confirm mode",
    passes: live((l) => Object.assign(l.channels[0]!, { confirm: false, published: 0, publishRate: 0 })),
  },
  "rmq-backlog-without-consumers": {
    fires: live((l) => (l.queues[0]!.consumers = 0)),
    expect: "orders.work.payments",
    passes: live((l) => Object.assign(l.queues[0]!, { consumers: 0, messages: 0 })),
  },
  "rmq-resource-alarm": { fires: live((l) => (l.nodes[1]!.diskFreeAlarm = true)), expect: "disk alarm" },
  "rmq-network-partition": {
    fires: live((l) => (l.nodes[0]!.partitions = ["rabbit@c"])),
    expect: "rabbit@c",
  },
  "rmq-node-down": { fires: live((l) => (l.nodes[2]!.running = false)), expect: "rabbit@c" },
  "rmq-disk-free-limit-low": {
    fires: live((l) => (l.nodes[0]!.diskFreeLimit = 50_000_000)),
    expect: "0.05 GiB",
  },
  "rmq-node-near-limit": { fires: live((l) => (l.nodes[0]!.fdUsed = 65000)), expect: "file descriptors" },
  "rmq-deprecated-features-used": {
    fires: live((l) => (l.deprecatedFeaturesUsed = ["transient_nonexcl_queues"])),
    expect: "transient_nonexcl_queues",
    passes: live((l) => (l.deprecatedFeaturesUsed = undefined)),
  },
  "rmq-unsupported-release": {
    fires: live((l) => (l.releaseSeriesSupportStatus = "unsupported")),
    expect: "unsupported",
    passes: live((l) => (l.rabbitmqVersion = "4.2.0")),
  },
  // --- configuration files
  "rmq-memory-watermark-high": {
    fires: () => rabbitConfModel("vm_memory_high_watermark.relative = 0.95\n"),
    expect: "0.95",
    passes: () => rabbitConfModel("vm_memory_high_watermark.relative = 0.6\n"),
  },
  "rmq-consumer-timeout-disabled": {
    fires: () => rabbitConfModel("[{rabbit, [{consumer_timeout, false}]}].\n", "advanced-config"),
    expect: "disabled",
    passes: () => rabbitConfModel("consumer_timeout = 1800000\n"),
  },
  "rmq-tls-no-peer-verification": {
    fires: () => rabbitConfModel("listeners.ssl.default = 5671\nssl_options.verify = verify_peer\n"),
    expect: "fail_if_no_peer_cert is not set",
    passes: () =>
      rabbitConfModel(
        "listeners.ssl.default = 5671\nssl_options.verify = verify_peer\nssl_options.fail_if_no_peer_cert = true\n",
      ),
  },
  "rmq-config-password-in-file": {
    fires: () => rabbitConfModel("default_user = ops\ndefault_pass = Not-In-Git-Please\n"),
    expect: "default_pass",
    passes: () => rabbitConfModel("default_user = ops\ndefault_pass = {{ .Values.auth.password }}\n"),
  },
  "redis-password-in-file": {
    fires: () => redisConfModel("requirepass Hunter2-Redis\n"),
    expect: "requirepass",
  },
  "redis-dangerous-command-renamed": {
    fires: () => redisConfModel("rename-command CONFIG cfg-7f2a\n"),
    expect: "command CONFIG",
    passes: () => redisConfModel('rename-command CONFIG ""\n'),
  },
  "audit-incomplete": {
    fires: () => {
      const m = rabbitModel(cleanDefs(), cleanLive());
      m.inspectGaps.push({ what: "nodes", reason: "HTTP 403" });
      return m;
    },
    expect: "HTTP 403",
  },
  // --- Redis persistence and memory
  "redis-appendonly-off": {
    fires: redis((r) => (r.config!["appendonly"] = "no")),
    expect: "appendonly is no",
  },
  "redis-no-persistence": {
    fires: redis((r) => Object.assign(r.config!, { appendonly: "no", save: "" })),
    expect: 'save is ""',
    passes: redis((r) => (r.config!["appendonly"] = "no")),
  },
  "redis-appendfsync-no": {
    fires: redis((r) => (r.config!["appendfsync"] = "no")),
    expect: "appendfsync is no",
  },
  "redis-no-appendfsync-on-rewrite": {
    fires: redis((r) => (r.config!["no-appendfsync-on-rewrite"] = "yes")),
    expect: "no-appendfsync-on-rewrite is yes",
  },
  "redis-maxmemory-policy-evicts": {
    fires: redis((r) => (r.config!["maxmemory-policy"] = "allkeys-lru")),
    expect: "allkeys-lru",
  },
  "redis-maxmemory-unset": { fires: redis((r) => (r.config!["maxmemory"] = "0")), expect: "maxmemory is 0" },
  "redis-memory-near-limit": {
    fires: redis((r) => (r.info["used_memory"] = String(4 * 2 ** 30 - 1000))),
    expect: "100%",
  },
  "redis-persistence-failing": {
    fires: redis((r) => (r.info["aof_last_write_status"] = "err")),
    expect: "aof_last_write_status is err",
  },
  "redis-config-not-inspectable": {
    fires: redis((r) => {
      r.config = undefined;
      r.configUnavailable = "CONFIG GET failed: ERR unknown command 'CONFIG'";
    }),
    expect: "unknown command",
    passes: redis((r) => {
      r.config = undefined;
      r.fromSpec = true;
    }),
  },
  // --- Redis security
  "redis-default-user-nopass": { fires: redis((r) => (r.aclUsers![0]!.enabled = true)), expect: "nopass" },
  "redis-protected-mode-off": {
    fires: redis((r) => (r.config!["protected-mode"] = "no")),
    expect: "protected-mode is no",
    // Bound to loopback only, protected mode has nothing to protect.
    passes: redis((r) => Object.assign(r.config!, { "protected-mode": "no", bind: "127.0.0.1 -::1" })),
  },
  "redis-no-tls": {
    fires: redis((r) => {
      r.tls = false;
      r.config!["tls-port"] = "0";
    }),
    expect: "without TLS",
  },
  "redis-acl-user-all-commands": {
    fires: redis((r) => Object.assign(r.aclUsers![1]!, { allCommands: true, allKeys: true })),
    expect: "user orders",
  },
  "redis-dangerous-commands": {
    fires: redis((r) => Object.assign(r.aclUsers![0]!, { enabled: true, nopass: false })),
    expect: "@dangerous",
  },
  // --- Redis Streams
  "redis-stream-untrimmed": {
    fires: redis((r) => Object.assign(r.streams[0]!, { entriesAdded: 50_000, maxDeletedEntryId: "0-0" })),
    expect: "none was ever trimmed",
    passes: redis((r) =>
      Object.assign(r.streams[0]!, { length: 10, entriesAdded: 10, maxDeletedEntryId: "0-0" }),
    ),
  },
  "redis-stream-without-group": {
    fires: redis((r) => r.streams.push({ ...cleanStream("orders:raw"), groups: [] })),
    expect: "orders:raw",
    passes: redis((r) => r.streams.push({ ...cleanStream("orders:dlq"), groups: [] })),
  },
  "redis-group-lag-high": { fires: redis((r) => (group(r).lag = 25_000)), expect: "lags 25000" },
  "redis-group-lag-growing": { fires: redis((r) => (group(r).pendingDelta = 40)), expect: "pending +40" },
  "redis-pel-large": { fires: redis((r) => (group(r).pending = 5000)), expect: "5000 pending" },
  "redis-idle-consumer-pending": {
    fires: redis((r) => (group(r).consumers[0]!.idleMs = 3_600_000)),
    expect: "billing-1",
    passes: redis((r) => Object.assign(group(r).consumers[0]!, { idleMs: 3_600_000, pending: 0 })),
  },
  "redis-high-delivery-count": {
    fires: redis((r) => (group(r).maxDeliveryCount = 17)),
    expect: "delivered 17 times",
  },
  "redis-entries-trimmed-unread": {
    fires: redis((r) => Object.assign(group(r), { lastDeliveredId: "1700000000000-0", lag: null })),
    expect: "older than the first entry",
  },
  "redis-pel-trimmed-entries": {
    fires: redis((r) => (group(r).oldestPendingId = "1700000000001-0")),
    expect: "oldest pending id",
  },
  "redis-group-without-consumers": { fires: redis((r) => (group(r).consumers = [])), expect: "no consumers" },
};

describe("audit rules, one by one", () => {
  it("has at least 50 rules in the four categories, with unique ids", () => {
    expect(ALL_RULES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
    expect(new Set(ALL_RULES.map((r) => r.category))).toEqual(
      new Set(["message-loss", "performance", "security", "operations"]),
    );
  });

  it("has a firing case for every rule in the catalogue", () => {
    expect(ALL_RULES.map((r) => r.id).filter((id) => !(id in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((id) => !ALL_RULES.some((r) => r.id === id))).toEqual([]);
  });

  for (const rule of ALL_RULES) {
    const c = CASES[rule.id];
    if (!c) continue;
    describe(rule.id, () => {
      it("fires on its fixture", () => {
        const found = findingsOf(c.fires(), rule.id, c.thresholds);
        expect(found.length).toBeGreaterThan(0);
        expect(found.some((f) => `${f.resource} ${f.message}`.includes(c.expect))).toBe(true);
        for (const f of found) {
          expect(f.fix).not.toMatch(/\{[a-zA-Z]+\}/); // every template placeholder filled
          expect(f.why.length).toBeGreaterThan(20);
        }
      });
      it("stays silent on the clean fixtures", () => {
        const models = [
          rabbitModel(cleanDefs()),
          rabbitModel(cleanDefs(), cleanLive()),
          redisModel(cleanRedis()),
        ];
        for (const m of models) expect(findingsOf(m, rule.id, c.thresholds)).toEqual([]);
      });
      if (c.passes) {
        const passes = c.passes;
        it("stays silent on a near miss", () => {
          expect(findingsOf(passes(), rule.id, c.thresholds)).toEqual([]);
        });
      }
    });
  }
});

describe("clean fixtures", () => {
  it("a well-configured definitions.json (with a healthy live broker) raises no high or critical finding", () => {
    for (const m of [rabbitModel(cleanDefs()), rabbitModel(cleanDefs(), cleanLive())]) {
      const bad = runAudit(m).filter((f) => f.severity === "critical" || f.severity === "high");
      expect(bad).toEqual([]);
    }
  });
  it("a well-configured Redis raises no high or critical finding", () => {
    const bad = runAudit(redisModel(cleanRedis())).filter(
      (f) => f.severity === "critical" || f.severity === "high",
    );
    expect(bad).toEqual([]);
  });
});
