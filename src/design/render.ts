/** A design as Markdown (for a design review) or plain text (for the terminal). */
import { Document } from "yaml";
import { choiceLabel, type Design } from "./advise.js";
import type { Pattern } from "./patterns.js";
import type { SystemDesign } from "./system.js";

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The topology spec as YAML, headed by a comment with the reason for each pattern it carries (the spec's
 * schema has no free-text fields, and comments survive `mqa topology` untouched).
 */
export function topologyYaml(d: Pick<Design, "topology"> & { patterns?: readonly Pattern[] }): string {
  const doc = new Document(d.topology);
  const patterns = d.patterns ?? [];
  if (patterns.length > 0)
    doc.commentBefore = [
      " Designed by `mqa design`. Patterns, and why:",
      ...patterns.flatMap((p) => [
        ` - ${p.title}: ${p.reason}`,
        ...p.settings.map((line) => `     * ${line}`),
      ]),
    ]
      .map((l) => l.replace(/\n/g, " "))
      .join("\n");
  return doc.toString({ lineWidth: 0 });
}

const FENCE = "```";

/** Text lines indented for the terminal. */
const indent = (text: string, by = "  "): string[] =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => (l === "" ? "" : `${by}${l}`));

/** A design as a report: assumptions first, next steps last. */
export function renderDesign(d: Design, format: "text" | "markdown"): string {
  const md = format === "markdown";
  const block = (lang: string, text: string): string[] =>
    md ? [`${FENCE}${lang}`, text.trimEnd(), FENCE] : indent(text, "    ");
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
  if (d.assumptions.length > 0) {
    out.push(h("Assumptions (not given; defaults used)"));
    for (const a of d.assumptions) out.push(li(`${code(a.field)} = ${a.value} — ${a.why}`));
  }
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
  if (d.patterns.length > 0) {
    out.push(h("Patterns"));
    for (const p of d.patterns) {
      out.push(li(`${md ? "**" : ""}${p.title}${md ? "**" : ""}: ${p.reason}`));
      for (const line of p.settings) out.push(`${md ? "  -" : "      ·"} ${line}`);
    }
  }
  out.push(h("Alternatives"));
  for (const a of d.alternatives) out.push(li(`${choiceLabel(a.choice)}: ${a.whyNot.join("; ")}`));
  out.push(h("Trade-offs"));
  for (const t of d.tradeoffs) out.push(li(t));
  out.push(h("Sizing"));
  const s = d.sizing;
  out.push(li(`${s.inFlight} messages in flight at peak (rate × handler time)`));
  out.push(
    li(
      `${s.consumerProcessesPerGroup} consumer process(es) per group with prefetch ${s.prefetch}${r.ordering === "global" ? " (one message at a time: what keeps order)" : r.ordering === "per-key" ? ' and order: "per-key" (a key one message at a time, keys side by side)' : ""}`,
    ),
  );
  if (d.choice === "redis-streams") out.push(li(`${s.partitions} partition(s)`));
  else if (r.ordering === "per-key" && s.partitions > 1)
    out.push(
      li(
        `${s.partitions} partition queues per group (the spec's partitions), each with one active consumer (single-active-consumer); the transport routes each key to its partition`,
      ),
    );
  out.push(li(`${mib(s.bytesPerSecond)}/s in at peak`));
  if (d.choice !== "rabbitmq-quorum")
    out.push(li(`${mib(s.retainedBytes)} retained (the replay window, or five minutes of peak)`));
  out.push(h("Flow"));
  if (md) out.push("```mermaid", d.diagram.mermaid.trimEnd(), "```");
  else out.push(...indent(d.diagram.ascii));
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
  out.push(
    h(
      d.setup.broker === "redis"
        ? "Setup with redis-cli"
        : "Setup in the management UI and with rabbitmqadmin",
    ),
  );
  if (d.setup.ui.length > 0) {
    out.push(md ? "Management UI (http://HOST:15672):\n" : "  Management UI (http://HOST:15672):");
    d.setup.ui.forEach((step, i) => out.push(`${md ? "" : "  "}${i + 1}. ${step}`));
    out.push("");
  }
  out.push(...block("sh", d.setup.commands.join("\n")));
  if (d.setup.file) {
    out.push(md ? `\n${d.setup.file.name}:\n` : `  ${d.setup.file.name}:`);
    out.push(...block("", d.setup.file.content));
  }
  out.push(h("Producer (TypeScript, mqa)"));
  out.push(...block("ts", d.code.producer));
  out.push(h("Consumer (TypeScript, mqa)"));
  out.push(...block("ts", d.code.consumer));
  out.push(h("Next steps, in this order"));
  d.nextSteps.forEach((step, i) => out.push(`${md ? "" : "  "}${i + 1}. ${step}`));
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
