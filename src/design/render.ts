/** A design as Markdown (for a design review) or plain text (for the terminal). */
import { stringify } from "yaml";
import { choiceLabel, type Design } from "./advise.js";
import type { SystemDesign } from "./system.js";

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

export function topologyYaml(d: Pick<Design, "topology">): string {
  return stringify(d.topology, { lineWidth: 0 });
}

export function renderDesign(d: Design, format: "text" | "markdown"): string {
  const md = format === "markdown";
  const h = (title: string): string => (md ? `\n## ${title}\n` : `\n${title}\n${"-".repeat(title.length)}`);
  const li = (s: string): string => `${md ? "-" : "  -"} ${s}`;
  const code = (s: string): string => (md ? `\`${s}\`` : s);
  const r = d.requirements;
  const out: string[] = [];
  out.push(md ? `# Design: ${r.name}` : `mqa design: ${r.name}`);
  out.push(
    `${md ? "" : "  "}${r.rate} msg/s of ${r.messageSize} B, p99 ≤ ${r.latencyP99Ms} ms, durability ${r.durability}, ` +
      `ordering ${r.ordering}, groups ${r.groups.join(", ")}, replay ${r.replay > 0 ? `${r.replay / 3_600_000} h` : "none"}`,
  );
  out.push(h("Recommendation"));
  out.push(
    `${md ? "**" : "  "}${choiceLabel(d.choice)}${md ? "**" : ""}` +
      (d.compromise ? " — a compromise: no option meets every requirement (see what gives)" : ""),
  );
  for (const w of d.why) out.push(li(w));
  if (d.problems.length > 0) {
    out.push(h("What gives"));
    for (const p of d.problems) out.push(li(p));
  }
  out.push(h("Alternatives"));
  for (const a of d.alternatives) out.push(li(`${choiceLabel(a.choice)}: ${a.whyNot.join("; ")}`));
  out.push(h("Trade-offs"));
  for (const t of d.tradeoffs) out.push(li(t));
  out.push(h("Sizing"));
  const s = d.sizing;
  out.push(li(`${s.inFlight} messages in flight at peak (rate × handler time)`));
  const ordered = r.ordering !== "none";
  out.push(
    li(
      `${s.consumerProcessesPerGroup} consumer process(es) per group with prefetch ${s.prefetch}${ordered ? " (one message at a time: what keeps order)" : ""}`,
    ),
  );
  if (d.choice === "redis-streams") out.push(li(`${s.partitions} partition(s)`));
  else if (r.ordering === "per-key" && s.partitions > 1)
    out.push(
      li(
        `${s.partitions} queues per group (partitions), each with one active consumer (single-active-consumer); publish with key p<n>.<key>, n = hash(key) mod ${s.partitions}`,
      ),
    );
  out.push(li(`${mib(s.bytesPerSecond)}/s in at peak`));
  if (d.choice !== "rabbitmq-quorum")
    out.push(li(`${mib(s.retainedBytes)} retained (the replay window, or five minutes of peak)`));
  out.push(h(`Topology (${d.specFile})`));
  if (md) out.push("```yaml", topologyYaml(d).trimEnd(), "```");
  else
    out.push(
      ...topologyYaml(d)
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    );
  out.push(h("Configuration"));
  for (const c of d.configs) {
    out.push(md ? `${c.target}:\n\n\`\`\`` : `  ${c.target}:`);
    for (const l of c.lines) out.push(md ? l : `    ${l}`);
    if (md) out.push("```\n");
  }
  out.push(h("Test plan"));
  for (const t of d.testPlan) out.push(li(`${code(t.command)} — ${t.checks}`));
  out.push(h("Rollback"));
  d.rollback.forEach((step, i) => out.push(`${md ? "" : "  "}${i + 1}. ${step}`));
  return `${out.filter((l, i, all) => !(l === "" && all[i - 1] === "")).join("\n")}\n`;
}

/** A system design: the shared-broker check first, then every flow's own design. */
export function renderSystemDesign(s: SystemDesign, format: "text" | "markdown"): string {
  const md = format === "markdown";
  const out: string[] = [];
  out.push(md ? `# Design: ${s.flows.length} flows` : `mqa design: ${s.flows.length} flows`);
  for (const d of s.flows)
    out.push(
      `${md ? "- " : "  "}${d.requirements.name}: ${choiceLabel(d.choice)}${d.compromise ? " (a compromise)" : ""}`,
    );
  out.push(md ? "\n## Together" : "\nTogether\n--------");
  for (const l of s.load) {
    const name = l.broker === "redis" ? "Redis" : "RabbitMQ";
    const held = l.broker === "redis" ? `, ~${mib(l.retainedBytes)} held` : "";
    out.push(
      `${md ? "- " : "  "}${name}: ${l.flows.join(", ")} — ${l.rate} msg/s, ${mib(l.bytesPerSecond)}/s in${held}`,
    );
    for (const p of l.problems) out.push(`${md ? "  - " : "    - "}${p}`);
    if (l.problems.length === 0)
      out.push(`${md ? "  - " : "    - "}${l.flows.length > 1 ? "fit together" : "fits"}`);
  }
  out.push(
    md
      ? "\n(The spec of every flow together: `--spec-out FILE`.)"
      : "\n  (The spec of every flow together: --spec-out FILE.)",
  );
  for (const d of s.flows) out.push("", renderDesign(d, format).trimEnd());
  return `${out.join("\n")}\n`;
}
