/**
 * The console's top bar: the broker (password masked by the server), its health (version, connections,
 * nodes with their alarms and partitions, Redis role and replicas), the last sample, and the state of the
 * link to the monitor: live, connecting… or reconnecting… while the event stream is down.
 */
import type { BrokerHealthView, ConsoleState, NodeView } from "../../console-protocol.js";
import { bytes, clock, count, plural } from "./format.js";
import type { LinkStatus } from "./stream.js";

const LINK_TEXT: Record<LinkStatus, string> = {
  live: "live",
  connecting: "connecting…",
  reconnecting: "reconnecting…",
};

function Node({ node }: { node: NodeView }) {
  const problems = [
    node.running ? null : "down",
    node.memoryAlarm ? "memory alarm" : null,
    node.diskAlarm ? "disk alarm" : null,
    node.partitions.length > 0 ? `partitioned from ${node.partitions.join(", ")}` : null,
  ].filter((p): p is string => p !== null);
  const memory =
    node.memoryUsedBytes !== null
      ? `${bytes(node.memoryUsedBytes)}${node.memoryLimitBytes !== null ? ` of ${bytes(node.memoryLimitBytes)}` : ""}`
      : null;
  return (
    <li class={`node ${problems.length > 0 ? "bad" : "ok"}`}>
      <span class="dot" aria-hidden="true" />
      <span class="node-name">{node.name}</span>
      {memory !== null && <span class="muted"> · {memory}</span>}
      {problems.length > 0 && <span class="problem"> · {problems.join(" · ")}</span>}
    </li>
  );
}

function Health({ health }: { health: BrokerHealthView }) {
  const facts = [
    health.broker === "rabbitmq" ? "RabbitMQ" : "Redis",
    health.version,
    health.connections !== null ? plural(health.connections, "connection") : null,
    health.role !== null
      ? `${health.role}${health.replicas !== null ? ` · ${plural(health.replicas, "replica")}` : ""}`
      : null,
  ].filter((f): f is string => f !== null && f !== "");
  return (
    <div class="health" id="health">
      <span class="facts">{facts.join(" · ")}</span>
      {health.nodes.length > 0 && (
        <ul class="nodes">
          {health.nodes.map((n) => (
            <Node key={n.name} node={n} />
          ))}
        </ul>
      )}
      {health.alarms.map((a, i) => (
        <span key={i} class="alarm">
          {a}
        </span>
      ))}
    </div>
  );
}

export function Header({ state, link }: { state: ConsoleState | null; link: LinkStatus }) {
  return (
    <header class="top">
      <div class="title-row">
        <h1>
          mqa <span class="muted">monitor</span>
        </h1>
        <span class="target" id="target">
          {state?.target ?? ""}
        </span>
        <span class={`link ${link}`} id="link" data-status={link} role="status">
          <span class="dot" aria-hidden="true" />
          {LINK_TEXT[link]}
        </span>
      </div>
      <div class="meta-row">
        {state?.health != null ? (
          <Health health={state.health} />
        ) : (
          <div class="health muted">broker health not read yet</div>
        )}
        <span class="sampled muted" id="sampled">
          {state === null
            ? "waiting for the first sample…"
            : state.at === null
              ? `sample ${count(state.samples)}, none good yet`
              : `sample ${count(state.samples)} at ${clock(state.at)} · every ${count(state.intervalMs / 1000)} s`}
        </span>
      </div>
    </header>
  );
}
