/**
 * Topics → groups → their dead-letter queue, as one table per topic: a group's row and, indented under it,
 * its DLQ's row; then the DLQs whose group the monitor did not see. mqa's delay levels fold into one line,
 * queues that belong to no topic get a table of their own. Clicking a row charts that queue.
 */
import type { ConsoleState, QueueView, TopicView } from "../../console-protocol.js";
import { count, delayLine, duration, rate } from "./format.js";

interface Selection {
  selectedId: string | null;
  onSelect(id: string): void;
}

function Head({ first }: { first: string }) {
  return (
    <thead>
      <tr>
        <th class="name">{first}</th>
        <th>backlog</th>
        <th>in flight</th>
        <th>consumers</th>
        <th>publish/s</th>
        <th>deliver/s</th>
        <th>ack/s</th>
        <th>lag</th>
        <th>oldest pending</th>
      </tr>
    </thead>
  );
}

function QueueRow({
  queue,
  label,
  detail,
  kind,
  selectedId,
  onSelect,
}: Selection & { queue: QueueView; label: string; detail: string | null; kind: "group" | "dlq" | "other" }) {
  const selected = selectedId === queue.id;
  const dlqHolding = queue.role === "dead-letter" && queue.backlog > 0;
  const classes = [
    "row",
    kind,
    queue.severity ?? (dlqHolding ? "holding" : ""),
    selected ? "selected" : "",
  ].filter((c) => c !== "");
  return (
    <tr
      class={classes.join(" ")}
      data-queue-id={queue.id}
      data-resource={queue.resource}
      aria-selected={selected}
      tabIndex={0}
      title={`${queue.resource}: click to chart it`}
      onClick={() => onSelect(queue.id)}
      onKeyDown={(e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onSelect(queue.id);
        }
      }}
    >
      <td class="name">
        {kind === "dlq" && (
          <span class="branch" aria-hidden="true">
            ↳{" "}
          </span>
        )}
        <span class="label">{label}</span>
        {detail !== null && <span class="detail muted">{detail}</span>}
      </td>
      <td class="n backlog">{count(queue.backlog)}</td>
      <td class="n">{count(queue.inFlight)}</td>
      <td class={`n${queue.role === "work" && queue.consumers === 0 ? " zero" : ""}`}>
        {count(queue.consumers)}
      </td>
      <td class="n">{rate(queue.publishRate)}</td>
      <td class="n">{rate(queue.deliverRate)}</td>
      <td class="n">{rate(queue.ackRate)}</td>
      <td class="n">{count(queue.lag)}</td>
      <td class="n">{queue.oldestPendingMs === null ? "–" : duration(queue.oldestPendingMs)}</td>
    </tr>
  );
}

function TopicCard({ topic, selectedId, onSelect }: Selection & { topic: TopicView }) {
  const backlog = topic.groups.reduce((sum, g) => sum + g.queue.backlog, 0);
  const dead = [...topic.groups.map((g) => g.deadLetter), ...topic.orphanDeadLetters].reduce(
    (sum, q) => sum + (q?.backlog ?? 0),
    0,
  );
  const worst = [...topic.groups.flatMap((g) => [g.queue, g.deadLetter]), ...topic.orphanDeadLetters]
    .map((q) => q?.severity ?? null)
    .reduce<"critical" | "warning" | null>(
      (w, s) => (w === "critical" || s === "critical" ? "critical" : (w ?? s)),
      null,
    );
  return (
    <section class={`topic ${worst ?? "ok"}`} data-topic={topic.topic}>
      <header class="topic-head">
        <h3 class="topic-name">{topic.topic}</h3>
        {topic.scope !== topic.topic && <span class="muted scope">{topic.scope}</span>}
        <span class="topic-sum muted">
          {topic.groups.length} group{topic.groups.length === 1 ? "" : "s"} · backlog {count(backlog)}
          {dead > 0 ? ` · ${count(dead)} dead letter${dead === 1 ? "" : "s"}` : ""}
        </span>
      </header>
      <table class="queues">
        <Head first="group" />
        <tbody>
          {topic.groups.flatMap((g) => [
            <QueueRow
              key={g.queue.id}
              queue={g.queue}
              label={g.group}
              detail={g.queue.resource !== g.group ? g.queue.resource : null}
              kind="group"
              selectedId={selectedId}
              onSelect={onSelect}
            />,
            ...(g.deadLetter !== null
              ? [
                  <QueueRow
                    key={g.deadLetter.id}
                    queue={g.deadLetter}
                    label="dead letters"
                    detail={g.deadLetter.resource}
                    kind="dlq"
                    selectedId={selectedId}
                    onSelect={onSelect}
                  />,
                ]
              : []),
          ])}
          {topic.orphanDeadLetters.map((q) => (
            <QueueRow
              key={q.id}
              queue={q}
              label="dead letters (group not seen)"
              detail={q.resource}
              kind="dlq"
              selectedId={selectedId}
              onSelect={onSelect}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function TopicList({ state, selectedId, onSelect }: Selection & { state: ConsoleState }) {
  return (
    <section class="panel topics" id="topics">
      <h2>Topics</h2>
      {state.topics.length === 0 && <p class="muted">No topics seen yet.</p>}
      {state.topics.map((t) => (
        <TopicCard key={`${t.scope}\u0000${t.topic}`} topic={t} selectedId={selectedId} onSelect={onSelect} />
      ))}
      {state.delay !== null && (
        <p class={`delay${state.delay.busyLevels > 0 ? " busy" : ""}`} id="delay">
          {delayLine(state.delay)}
        </p>
      )}
    </section>
  );
}

export function OtherQueues({ queues, selectedId, onSelect }: Selection & { queues: QueueView[] }) {
  return (
    <section class="panel other" id="other">
      <h2>Other queues</h2>
      <table class="queues">
        <Head first="queue" />
        <tbody>
          {queues.map((q) => (
            <QueueRow
              key={q.id}
              queue={q}
              label={q.resource}
              detail={q.role === "work" ? null : q.role}
              kind="other"
              selectedId={selectedId}
              onSelect={onSelect}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}
