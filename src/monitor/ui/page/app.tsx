/**
 * The operator's console: one page over the monitor's `/events` stream. It keeps the last state and its own
 * bounded copy of the history, and lays out, from the top: the broker and the link, the charts (total or
 * the queue the operator clicked, over a chosen window), topics with their groups and dead-letter queues,
 * other queues, and on the side the alerts and dead letters with their commands. Names are user data and
 * are only ever rendered as text (Preact escapes them; nothing here sets HTML).
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ConsoleHistory, ConsoleState, QueueView } from "../../console-protocol.js";
import { AlertList } from "./alerts.js";
import { ChartPanel, type WindowChoice } from "./charts.js";
import { DeadLetterList } from "./dead-letters.js";
import { Header } from "./header.js";
import { HistoryBuffer } from "./history.js";
import { openConsoleStream, type LinkStatus } from "./stream.js";
import { OtherQueues, TopicList } from "./topics.js";

/** Every queue of a state by id, to name the selected series. */
function queuesById(state: ConsoleState | null): Map<string, QueueView> {
  const out = new Map<string, QueueView>();
  if (state === null) return out;
  for (const t of state.topics) {
    for (const g of t.groups) {
      out.set(g.queue.id, g.queue);
      if (g.deadLetter !== null) out.set(g.deadLetter.id, g.deadLetter);
    }
    for (const q of t.orphanDeadLetters) out.set(q.id, q);
  }
  for (const q of state.other) out.set(q.id, q);
  return out;
}

export function App() {
  const [link, setLink] = useState<LinkStatus>("connecting");
  const [state, setState] = useState<ConsoleState | null>(null);
  const history = useRef(new HistoryBuffer());
  const [historyVersion, setHistoryVersion] = useState(0);
  const [windowChoice, setWindowChoice] = useState<WindowChoice>("15m");
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(
    () =>
      openConsoleStream("events", {
        history(h: ConsoleHistory) {
          history.current.replace(h);
          setHistoryVersion((v) => v + 1);
        },
        state(s: ConsoleState) {
          setState(s);
          if (s.point !== null && history.current.append(s.point)) setHistoryVersion((v) => v + 1);
        },
        status: setLink,
      }),
    [],
  );

  const queues = useMemo(() => queuesById(state), [state]);
  const selectedQueue = selected === null ? null : (queues.get(selected) ?? null);
  const toggle = (id: string): void => setSelected((current) => (current === id ? null : id));

  return (
    <div class="console">
      <Header state={state} link={link} />
      {state?.error != null && (
        <div class="banner failed" role="alert" id="sample-error">
          sample failed: {state.error}
          <span class="muted"> (showing the last good sample)</span>
        </div>
      )}
      <div class="layout">
        <main class="main">
          <ChartPanel
            buffer={history.current}
            version={historyVersion}
            windowChoice={windowChoice}
            onWindow={setWindowChoice}
            selectedId={selected}
            selectedName={selectedQueue?.resource ?? selected}
            onClearSelection={() => setSelected(null)}
          />
          {state !== null && <TopicList state={state} selectedId={selected} onSelect={toggle} />}
          {state !== null && state.other.length > 0 && (
            <OtherQueues queues={state.other} selectedId={selected} onSelect={toggle} />
          )}
          {state !== null && state.gaps.length > 0 && (
            <section class="panel gaps">
              <h2>Not read</h2>
              <ul>
                {state.gaps.map((g, i) => (
                  <li key={i}>{g}</li>
                ))}
              </ul>
            </section>
          )}
        </main>
        <aside class="side">
          <AlertList alerts={state?.alerts ?? null} />
          <DeadLetterList deadLetters={state?.deadLetters ?? null} selectedId={selected} onSelect={toggle} />
        </aside>
      </div>
    </div>
  );
}
