/** Draw a {@link FlowGraph} as Mermaid (for Markdown) or plain text (for terminals). */
import type { FlowEdge, FlowGraph, FlowNode } from "./diagram-graph.js";

export type DiagramFormat = "ascii" | "mermaid";

const SHAPES: Record<FlowNode["kind"], [string, string]> = {
  publisher: ["([", "])"],
  consumer: ["([", "])"],
  exchange: ["{{", "}}"],
  queue: ["[(", ")]"],
  dlq: ["[(", ")]"],
  delay: ["[/", "/]"],
  stream: ["[(", ")]"],
  group: ["[", "]"],
  "delayed-set": ["[/", "/]"],
};

function mermaidText(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}

/** A Mermaid flowchart, one subgraph per vhost (and one for Redis); retries dotted, dead letters dotted and red. */
export function toMermaid(graph: FlowGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ["flowchart LR"];
  const areas = [
    ...new Set(graph.nodes.filter((n) => n.kind !== "publisher" && n.kind !== "consumer").map((n) => n.area)),
  ];
  const drawn = new Set<string>();
  const draw = (n: FlowNode, indent: string): void => {
    const [open, close] = SHAPES[n.kind];
    lines.push(`${indent}${ids.get(n.id)}${open}${mermaidText(n.label)}${close}`);
    drawn.add(n.id);
  };
  for (const n of graph.nodes) if (n.kind === "publisher") draw(n, "  ");
  areas.forEach((area, i) => {
    lines.push(`  subgraph area${i}[${mermaidText(area)}]`);
    for (const n of graph.nodes)
      if (n.area === area && !drawn.has(n.id) && n.kind !== "consumer") draw(n, "    ");
    lines.push("  end");
  });
  for (const n of graph.nodes) if (!drawn.has(n.id)) draw(n, "  ");
  const deadLetterLinks: number[] = [];
  graph.edges.forEach((e, i) => {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (from === undefined || to === undefined) return;
    const arrow = e.kind === "flow" ? "-->" : "-.->";
    lines.push(`  ${from} ${arrow}${e.label ? `|${mermaidText(e.label)}|` : ""} ${to}`);
    if (e.kind === "dead-letter") deadLetterLinks.push(i);
  });
  for (const n of graph.nodes) if (n.kind === "dlq") lines.push(`  style ${ids.get(n.id)} stroke:#c00`);
  if (deadLetterLinks.length > 0) lines.push(`  linkStyle ${deadLetterLinks.join(",")} stroke:#c00`);
  return `${lines.join("\n")}\n`;
}

const ARROW: Record<FlowEdge["kind"], string> = { flow: "──▶", retry: "↻─▶", "dead-letter": "✗─▶" };
const TAG: Partial<Record<FlowNode["kind"], string>> = {
  publisher: "publisher",
  consumer: "consumer",
  exchange: "exchange",
  dlq: "dead letters",
  delay: "delay queue",
  "delayed-set": "delayed retries",
};

/**
 * Plain text: per area, the message flow, then the retry loops, then the dead-letter paths, each edge as
 * `from ──▶ to` with sources listed before what they feed, so the text follows the messages.
 */
export function toAscii(graph: FlowGraph): string {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const isActor = (n: FlowNode | undefined): boolean => n?.kind === "publisher" || n?.kind === "consumer";
  const name = (id: string): string => {
    const n = byId.get(id);
    if (!n) return id;
    const tag = TAG[n.kind];
    return tag ? `${n.label} [${tag}]` : n.label;
  };
  // An edge belongs to the area of its broker-side end (publishers and consumers may span brokers).
  const areaOf = (e: FlowEdge): string | undefined => {
    const from = byId.get(e.from);
    return (isActor(from) ? byId.get(e.to) : from)?.area;
  };
  const order: FlowNode["kind"][] = [
    "publisher",
    "exchange",
    "stream",
    "queue",
    "group",
    "delay",
    "delayed-set",
    "dlq",
    "consumer",
  ];
  const rank = (e: FlowEdge): number => order.indexOf(byId.get(e.from)?.kind ?? "queue");
  const sections: [FlowEdge["kind"], string][] = [
    ["flow", "message flow"],
    ["retry", "retry loops"],
    ["dead-letter", "dead letters"],
  ];
  const out: string[] = [];
  const areas = [...new Set(graph.nodes.filter((n) => !isActor(n)).map((n) => n.area))];
  for (const area of areas) {
    out.push(area);
    const edges = graph.edges.filter((e) => areaOf(e) === area);
    for (const [kind, title] of sections) {
      const list = edges.filter((e) => e.kind === kind).sort((a, b) => rank(a) - rank(b));
      if (list.length === 0) continue;
      out.push(`  ${title}:`);
      for (const e of list)
        out.push(`    ${name(e.from)} ${ARROW[e.kind]} ${name(e.to)}${e.label ? ` (${e.label})` : ""}`);
    }
    const connected = new Set(edges.flatMap((e) => [e.from, e.to]));
    const lonely = graph.nodes.filter((n) => n.area === area && !isActor(n) && !connected.has(n.id));
    if (lonely.length > 0) out.push(`  not connected: ${lonely.map((n) => name(n.id)).join(", ")}`);
    out.push("");
  }
  out.push("legend: ──▶ message flow   ↻─▶ retry path   ✗─▶ dead-letter path");
  return `${out.join("\n")}\n`;
}
