/**
 * Live RabbitMQ source: definitions plus facts only a running broker has (nodes, alarms, consumers,
 * channels), read through the management HTTP API.
 */
import { RabbitManagementApi } from "../../brokers/management-api.js";
import type {
  AuditModel,
  RabbitChannel,
  RabbitConsumer,
  RabbitLive,
  RabbitLiveQueue,
  RabbitNode,
} from "../model.js";
import { isLoopback } from "../rules/rabbitmq-security.js";
import { parseDefinitions, parsePolicies } from "./definitions.js";
import { emptyModel } from "./empty.js";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : d);

export interface RabbitLiveOptions {
  /** HTTP timeout per request. @defaultValue 10000 */
  timeoutMs?: number;
}

/** Load definitions and live facts from `url` (`http(s)://user:pass@host:15672`). */
export async function loadRabbitLive(url: string, options: RabbitLiveOptions = {}): Promise<AuditModel> {
  const api = new RabbitManagementApi(url, { timeoutMs: options.timeoutMs ?? 10_000 });
  const model = emptyModel({ kind: "rabbitmq-live", target: api.maskedUrl });
  const gap = (what: string, status: number): void => {
    const denied = status === 401 || status === 403;
    model.inspectGaps.push({
      what,
      reason: denied
        ? `HTTP ${status}: user ${api.user} may not read it (needs the administrator tag)`
        : `HTTP ${status}`,
    });
  };
  await api.checkCredentials();

  const [overview, defsRes, opPolicies, nodes, queues, consumers, channels, deprecated] = await Promise.all([
    api.get("/overview"),
    api.get("/definitions"),
    api.get("/operator-policies"),
    api.get("/nodes"),
    api.get("/queues"),
    api.get("/consumers"),
    api.get("/channels"),
    api.get("/deprecated-features/used"),
  ]);

  let defsBody: unknown;
  if (defsRes.ok) defsBody = defsRes.body;
  else {
    // Non-admin users cannot export definitions; rebuild the parts they can list.
    gap("definitions (users, permissions, parameters)", defsRes.status);
    const [vh, qs, ex, bs, ps] = await Promise.all(
      ["/vhosts", "/queues", "/exchanges", "/bindings", "/policies"].map((p) => api.get(p)),
    );
    const body = (r: typeof vh): Obj[] => (r?.ok ? arr(r.body) : []);
    defsBody = {
      vhosts: body(vh).map((v) => ({ name: v["name"] })),
      queues: body(qs).filter((x) => x["exclusive"] !== true),
      exchanges: body(ex).filter((x) => str(x["name"]) !== ""),
      bindings: body(bs).filter((b) => str(b["source"]) !== ""),
      policies: body(ps),
    };
  }
  const definitions = parseDefinitions(defsBody, api.maskedUrl, model.secrets);
  if (opPolicies.ok) definitions.policies.push(...parsePolicies(opPolicies.body, true, api.maskedUrl));
  else if (opPolicies.status !== 404) gap("operator policies", opPolicies.status);

  const ov = overview.ok ? obj(overview.body) : {};
  if (!overview.ok) gap("overview", overview.status);
  if (!nodes.ok) gap("nodes (alarms, partitions, limits)", nodes.status);
  if (!consumers.ok) gap("consumers", consumers.status);
  if (!channels.ok) gap("channels", channels.status);

  const live: RabbitLive = {
    url: api.maskedUrl,
    loggedInAs: api.user,
    loopbackHost: isLoopback(api.host),
    rabbitmqVersion: str(ov["rabbitmq_version"]) || undefined,
    releaseSeriesSupportStatus: str(ov["release_series_support_status"]) || undefined,
    nodes: nodes.ok ? arr(nodes.body).map(toNode) : [],
    queues: queues.ok ? arr(queues.body).map(toQueue) : [],
    consumers: consumers.ok ? arr(consumers.body).map(toConsumer) : [],
    channels: channels.ok ? arr(channels.body).map(toChannel) : [],
    deprecatedFeaturesUsed: deprecated.ok ? arr(deprecated.body).map((f) => str(f["name"])) : undefined,
  };
  model.rabbit = { definitions, live };
  return model;
}

function toNode(n: Obj): RabbitNode {
  return {
    name: str(n["name"]),
    running: n["running"] !== false,
    memAlarm: n["mem_alarm"] === true,
    diskFreeAlarm: n["disk_free_alarm"] === true,
    partitions: Array.isArray(n["partitions"]) ? n["partitions"].map(String) : [],
    diskFreeLimit: num(n["disk_free_limit"]),
    memLimit: num(n["mem_limit"]),
    fdUsed: num(n["fd_used"]),
    fdTotal: num(n["fd_total"]),
    procUsed: num(n["proc_used"]),
    procTotal: num(n["proc_total"]),
  };
}

function toQueue(x: Obj): RabbitLiveQueue {
  return {
    vhost: str(x["vhost"], "/"),
    name: str(x["name"]),
    messages: num(x["messages"]) ?? 0,
    messagesUnacked: num(x["messages_unacknowledged"]) ?? 0,
    consumers: num(x["consumers"]) ?? 0,
  };
}

function toConsumer(c: Obj): RabbitConsumer {
  const queue = obj(c["queue"]);
  return {
    vhost: str(queue["vhost"], "/"),
    queue: str(queue["name"]),
    consumerTag: str(c["consumer_tag"]),
    channel: str(obj(c["channel_details"])["name"]),
    ackRequired: c["ack_required"] !== false,
    prefetchCount: num(c["prefetch_count"]) ?? 0,
  };
}

function toChannel(c: Obj): RabbitChannel {
  const stats = obj(c["message_stats"]);
  return {
    name: str(c["name"]),
    vhost: str(c["vhost"], "/"),
    user: str(c["user"]),
    confirm: c["confirm"] === true,
    published: num(stats["publish"]) ?? 0,
    publishRate: num(obj(stats["publish_details"])["rate"]) ?? 0,
    prefetchCount: num(c["prefetch_count"]) ?? 0,
    globalPrefetchCount: num(c["global_prefetch_count"]) ?? 0,
  };
}
