/**
 * The message flow a spec describes, as a small graph: publishers → exchanges/streams → queues/groups →
 * consumers, plus the retry loops and dead-letter paths the patterns add. Renderers draw it.
 */
import { queueType, type RabbitDefinitions } from "../brokers/rabbit-definitions.js";
import { expandRabbit } from "./expand-rabbit.js";
import { specToRedisModel } from "./expand-redis.js";
import { DLX_EXCHANGE } from "./rabbit-conventions.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { rabbitGroups } from "../spec/rabbit-groups.js";

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

type Builder = FlowGraph & { node(n: FlowNode): string; edge(e: FlowEdge): void };

function graphBuilder(): Builder {
  const nodes = new Map<string, FlowNode>();
  const edges: FlowEdge[] = [];
  // A set of the edges drawn, so a spec of thousands of topics draws in linear time.
  const drawn = new Set<string>();
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
      const k = [e.from, e.to, e.kind, e.label ?? "\u0001"].join("\u0000");
      if (drawn.has(k)) return;
      drawn.add(k);
      edges.push(e);
    },
  };
}

const isDelay = (name: string): boolean => name.startsWith("mqa.delay.");

function rabbitFlow(g: Builder, spec: TopologySpec, defs: RabbitDefinitions): void {
  const area = (vhost: string): string => `RabbitMQ vhost ${vhost}`;
  // The shared binary delay levels are drawn as one node: dozens of hops would hide the flow.
  const levelsOf = new Map<string, number>();
  for (const q of defs.queues) if (isDelay(q.name)) levelsOf.set(q.vhost, (levelsOf.get(q.vhost) ?? 0) + 1);
  const delay = (vhost: string): string => {
    return g.node({
      id: `r:${vhost}:delay`,
      label: `mqa.delay.* (${levelsOf.get(vhost) ?? 0} binary delay levels)`,
      kind: "delay",
      area: area(vhost),
    });
  };
  const ex = (vhost: string, name: string): string =>
    isDelay(name)
      ? delay(vhost)
      : g.node({
          id: `r:${vhost}:x:${name}`,
          label: name === "" ? "(default exchange)" : name,
          kind: "exchange",
          area: area(vhost),
        });
  const queues = new Map(defs.queues.map((q) => [`${q.vhost}\u0000${q.name}`, q]));
  const qid = (vhost: string, name: string): string => {
    if (isDelay(name)) return delay(vhost);
    const q = queues.get(`${vhost}\u0000${name}`);
    const kind: NodeKind = name.endsWith(".dlq") ? "dlq" : "queue";
    return g.node({
      id: `r:${vhost}:q:${name}`,
      label: `${name} (${q ? queueType(q) : "queue"})`,
      kind,
      area: area(vhost),
    });
  };
  const actor = (kind: "publisher" | "consumer", name: string, vhost: string): string =>
    g.node({ id: `a:${kind}:${name}`, label: name, kind, area: area(vhost) });

  for (const e of defs.exchanges) ex(e.vhost, e.name);
  for (const q of defs.queues) qid(q.vhost, q.name);
  for (const b of defs.bindings) {
    if (isDelay(b.source)) {
      // mqa.delay.deliver → Q: the end of a retry loop that started at Q.
      if (b.destination_type === "queue" && !isDelay(b.destination)) {
        g.edge({ from: qid(b.vhost, b.destination), to: delay(b.vhost), kind: "retry", label: "retry" });
        g.edge({
          from: delay(b.vhost),
          to: qid(b.vhost, b.destination),
          kind: "retry",
          label: "after the delay",
        });
      }
      continue;
    }
    const to = b.destination_type === "queue" ? qid(b.vhost, b.destination) : ex(b.vhost, b.destination);
    const kind: EdgeKind = b.source === DLX_EXCHANGE ? "dead-letter" : "flow";
    g.edge({
      from: ex(b.vhost, b.source),
      to,
      kind,
      ...(b.routing_key === "" ? {} : { label: b.routing_key }),
    });
  }
  for (const q of defs.queues) {
    const dlx = q.arguments["x-dead-letter-exchange"];
    if (isDelay(q.name) || typeof dlx !== "string") continue;
    g.edge({ from: qid(q.vhost, q.name), to: ex(q.vhost, dlx), kind: "dead-letter", label: "dead letter" });
  }
  const r = spec.rabbitmq;
  for (const t of r?.topics ?? []) {
    const vhost = t.vhost ?? "/";
    for (const p of t.publishers ?? [])
      g.edge({ from: actor("publisher", p, vhost), to: ex(vhost, t.exchange ?? t.name), kind: "flow" });
  }
  // Groups where they really are (src/spec/rabbit-groups.ts): an attached queue's own bindings are its
  // owner's, not in the expansion, so its flow from the topic's exchange is drawn here.
  const topicsByName = new Map<string, NonNullable<NonNullable<typeof r>["topics"]>[number]>();
  for (const t of r?.topics ?? []) {
    const k = `${t.vhost ?? "/"}\u0000${t.name}`;
    if (!topicsByName.has(k)) topicsByName.set(k, t);
  }
  for (const grp of rabbitGroups(r)) {
    const spec = topicsByName.get(`${grp.vhost}\u0000${grp.topic}`);
    const own = spec?.groups.find((x) => x.name === grp.group);
    if (!grp.declareQueue && grp.bindings === undefined && grp.exchange !== "")
      g.edge({
        from: ex(grp.vhost, grp.exchange),
        to: qid(grp.vhost, grp.queue),
        kind: "flow",
        label: "existing bindings",
      });
    for (const c of own?.consumers ?? [])
      g.edge({ from: qid(grp.vhost, grp.queue), to: actor("consumer", c, grp.vhost), kind: "flow" });
  }
  for (const e of r?.exchanges ?? [])
    for (const p of e.publishers ?? [])
      g.edge({ from: actor("publisher", p, e.vhost ?? "/"), to: ex(e.vhost ?? "/", e.name), kind: "flow" });
  for (const q of r?.queues ?? [])
    for (const c of q.consumers ?? [])
      g.edge({ from: qid(q.vhost ?? "/", q.name), to: actor("consumer", c, q.vhost ?? "/"), kind: "flow" });
}

function redisFlow(g: Builder, spec: TopologySpec): void {
  const model = specToRedisModel(spec);
  const area = "Redis";
  const actor = (kind: "publisher" | "consumer", name: string): string =>
    g.node({ id: `a:${kind}:${name}`, label: name, kind, area });
  // Indexes by topic, so each group looks only at its own topic's keys (linear in the spec's size).
  const byTopic = <T extends { topic: string }>(items: readonly T[]): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    for (const x of items) {
      const list = out.get(x.topic);
      if (list) list.push(x);
      else out.set(x.topic, [x]);
    }
    return out;
  };
  const lazyOf = byTopic(model.lazyKeys);
  const retryOf = byTopic(model.streams.filter((x) => x.role === "retry"));
  const specStreams = new Map<string, NonNullable<NonNullable<TopologySpec["redis"]>["streams"]>[number]>();
  for (const x of spec.redis?.streams ?? []) if (!specStreams.has(x.name)) specStreams.set(x.name, x);
  for (const s of model.streams.filter((x) => x.role === "partition")) {
    const sid = g.node({ id: `s:${s.key}`, label: s.key, kind: "stream", area });
    const specStream = specStreams.get(s.topic);
    for (const p of specStream?.publishers ?? [])
      g.edge({ from: actor("publisher", p), to: sid, kind: "flow" });
    for (const grp of specStream?.groups ?? []) {
      const gid = g.node({
        id: `s:${s.key}:g:${grp.name}`,
        label: `group ${grp.name} on ${s.key}`,
        kind: "group",
        area,
      });
      g.edge({ from: sid, to: gid, kind: "flow" });
      for (const c of grp.consumers ?? []) g.edge({ from: gid, to: actor("consumer", c), kind: "flow" });
      // mqa's keys of a partition start with the partition's key; those of a stream another program owns
      // (one partition) live under mqa's prefix, so they are found by topic.
      const ours = (key: string, topic: string): boolean =>
        topic === s.topic && (s.foreign === true || key.startsWith(`${s.key}:`));
      const lazy = (purpose: string): string | undefined =>
        (lazyOf.get(s.topic) ?? []).find(
          (k) => k.purpose === purpose && k.group === grp.name && ours(k.key, k.topic),
        )?.key;
      const retryStream = (retryOf.get(s.topic) ?? []).find(
        (x) => ours(x.key, x.topic) && x.groups.some((y) => y.name === grp.name),
      );
      const delayed = lazy("delayed-retries");
      if (retryStream && delayed) {
        const did = g.node({ id: `s:${delayed}`, label: delayed, kind: "delayed-set", area });
        const rid = g.node({ id: `s:${retryStream.key}`, label: retryStream.key, kind: "stream", area });
        g.edge({ from: gid, to: did, kind: "retry", label: "retry" });
        g.edge({ from: did, to: rid, kind: "retry", label: "when due" });
        g.edge({ from: rid, to: gid, kind: "retry", label: "read with the topic" });
      }
      const dlq = lazy("dead-letters");
      if (dlq)
        g.edge({
          from: gid,
          to: g.node({ id: `s:${dlq}`, label: dlq, kind: "dlq", area }),
          kind: "dead-letter",
          label: "dead letter",
        });
    }
  }
}

/** The flow graph of a spec. */
export function specToFlowGraph(spec: TopologySpec): FlowGraph {
  const g = graphBuilder();
  if (spec.rabbitmq) rabbitFlow(g, spec, expandRabbit(spec, { requirePasswords: false }).definitions);
  if (spec.redis) redisFlow(g, spec);
  return { nodes: g.nodes, edges: g.edges };
}
