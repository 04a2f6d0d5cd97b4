/**
 * The message flow a spec describes, as a small graph: publishers → exchanges/streams → queues/groups →
 * consumers, plus the retry loops and dead-letter paths the patterns add. Renderers draw it.
 */
import { queueType, type RabbitDefinitions } from "./definitions.js";
import { formatDuration } from "./duration.js";
import { expandRabbit } from "./expand-rabbit.js";
import { specToRedisModel } from "./expand-redis.js";
import { defaultRedisNaming, type RedisNaming } from "./redis-conventions.js";
import type { TopologySpec } from "./schema/spec.js";

export type NodeKind =
  "publisher" | "exchange" | "queue" | "dlq" | "delay" | "consumer" | "stream" | "group" | "delayed-set";
export type EdgeKind = "flow" | "dead-letter" | "retry";

export interface FlowNode {
  id: string;
  label: string;
  kind: NodeKind;
  /** `RabbitMQ vhost shop` or `Redis`. */
  area: string;
}

export interface FlowEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

function graphBuilder(): FlowGraph & { node(n: FlowNode): string; edge(e: FlowEdge): void } {
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  return {
    get nodes() {
      return [...nodes.values()];
    },
    edges,
    node(n) {
      if (!nodes.has(n.id)) nodes.set(n.id, n);
      return n.id;
    },
    edge(e) {
      if (!edges.some((x) => x.from === e.from && x.to === e.to && x.kind === e.kind && x.label === e.label))
        edges.push(e);
    },
  };
}

function rabbitFlow(g: ReturnType<typeof graphBuilder>, spec: TopologySpec, defs: RabbitDefinitions): void {
  const area = (vhost: string): string => `RabbitMQ vhost ${vhost}`;
  const ex = (vhost: string, name: string): string =>
    g.node({
      id: `r:${vhost}:x:${name}`,
      label: name === "" ? "(default exchange)" : name,
      kind: "exchange",
      area: area(vhost),
    });
  const queues = new Map(defs.queues.map((q) => [`${q.vhost}\u0000${q.name}`, q]));
  const qid = (vhost: string, name: string): string => {
    const q = queues.get(`${vhost}\u0000${name}`);
    const isDelay =
      q !== undefined &&
      q.arguments["x-message-ttl"] !== undefined &&
      q.arguments["x-dead-letter-exchange"] === "";
    const kind: NodeKind = name.endsWith(".dlq") ? "dlq" : isDelay ? "delay" : "queue";
    const type = q ? queueType(q) : "queue";
    return g.node({ id: `r:${vhost}:q:${name}`, label: `${name} (${type})`, kind, area: area(vhost) });
  };
  const actor = (kind: "publisher" | "consumer", name: string, vhost: string): string =>
    g.node({ id: `a:${kind}:${name}`, label: name, kind, area: area(vhost) });

  for (const e of defs.exchanges) ex(e.vhost, e.name);
  for (const q of defs.queues) qid(q.vhost, q.name);
  for (const b of defs.bindings) {
    const to = b.destination_type === "queue" ? qid(b.vhost, b.destination) : ex(b.vhost, b.destination);
    const label = b.routing_key === "" ? undefined : b.routing_key;
    const kind: EdgeKind = b.source.startsWith("mqa.dlx")
      ? "dead-letter"
      : b.source === "mqa.retry"
        ? "retry"
        : "flow";
    g.edge({ from: ex(b.vhost, b.source), to, kind, ...(label === undefined ? {} : { label }) });
  }
  for (const q of defs.queues) {
    const dlx = q.arguments["x-dead-letter-exchange"];
    const key = q.arguments["x-dead-letter-routing-key"];
    const ttl = q.arguments["x-message-ttl"];
    if (dlx === "" && typeof key === "string") {
      // A delay queue: after its TTL the message goes back to the queue it came from.
      g.edge({
        from: qid(q.vhost, q.name),
        to: qid(q.vhost, key),
        kind: "retry",
        label: `after ${formatDuration(Number(ttl ?? 0))}`,
      });
      // …and it got there because that queue's consumer asked for a retry.
      const retryBinding = defs.bindings.find((b) => b.vhost === q.vhost && b.destination === q.name);
      if (retryBinding)
        g.edge({
          from: qid(q.vhost, key),
          to: ex(q.vhost, retryBinding.source),
          kind: "retry",
          label: "retry",
        });
    } else if (typeof dlx === "string") {
      g.edge({ from: qid(q.vhost, q.name), to: ex(q.vhost, dlx), kind: "dead-letter", label: "dead letter" });
    }
  }
  const r = spec.rabbitmq;
  for (const t of r?.topics ?? []) {
    const vhost = t.vhost ?? "/";
    for (const p of t.publishers ?? [])
      g.edge({ from: actor("publisher", p, vhost), to: ex(vhost, t.name), kind: "flow" });
    for (const grp of t.groups)
      for (const c of grp.consumers ?? [])
        g.edge({ from: qid(vhost, `${t.name}.${grp.name}`), to: actor("consumer", c, vhost), kind: "flow" });
  }
  for (const e of r?.exchanges ?? [])
    for (const p of e.publishers ?? [])
      g.edge({ from: actor("publisher", p, e.vhost ?? "/"), to: ex(e.vhost ?? "/", e.name), kind: "flow" });
  for (const q of r?.queues ?? [])
    for (const c of q.consumers ?? [])
      g.edge({ from: qid(q.vhost ?? "/", q.name), to: actor("consumer", c, q.vhost ?? "/"), kind: "flow" });
}

function redisFlow(g: ReturnType<typeof graphBuilder>, spec: TopologySpec, naming: RedisNaming): void {
  const model = specToRedisModel(spec, naming);
  const area = "Redis";
  for (const s of model.streams) {
    const sid = g.node({
      id: `s:${s.key}`,
      label: s.key,
      kind: s.role === "dead-letter" ? "dlq" : "stream",
      area,
    });
    if (s.role !== "partition") continue;
    const specStream = spec.redis?.streams?.find((x) => x.name === s.topic);
    for (const p of specStream?.publishers ?? [])
      g.edge({
        from: g.node({ id: `a:publisher:${p}`, label: p, kind: "publisher", area }),
        to: sid,
        kind: "flow",
      });
    for (const grp of specStream?.groups ?? []) {
      const gid = g.node({
        id: `s:${s.key}:g:${grp.name}`,
        label: `group ${grp.name} on ${s.key}`,
        kind: "group",
        area,
      });
      g.edge({ from: sid, to: gid, kind: "flow" });
      for (const c of grp.consumers ?? [])
        g.edge({
          from: gid,
          to: g.node({ id: `a:consumer:${c}`, label: c, kind: "consumer", area }),
          kind: "flow",
        });
      if (grp.retry && grp.retry.attempts > 1) {
        const set = naming.delayedSet(s.key, grp.name);
        const did = g.node({ id: `s:${set}`, label: set, kind: "delayed-set", area });
        g.edge({ from: gid, to: did, kind: "retry", label: "retry" });
        g.edge({ from: did, to: sid, kind: "retry", label: "when due" });
      }
      if (grp.deadLetter ?? true)
        g.edge({
          from: gid,
          to: `s:${naming.deadLetterStream(s.key)}`,
          kind: "dead-letter",
          label: "dead letter",
        });
    }
  }
}

/** The flow graph of a spec. */
export function specToFlowGraph(spec: TopologySpec, naming: RedisNaming = defaultRedisNaming): FlowGraph {
  const g = graphBuilder();
  if (spec.rabbitmq) rabbitFlow(g, spec, expandRabbit(spec, { requirePasswords: false }).definitions);
  if (spec.redis) redisFlow(g, spec, naming);
  return { nodes: g.nodes, edges: g.edges };
}
