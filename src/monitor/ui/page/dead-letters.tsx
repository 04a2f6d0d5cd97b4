/**
 * Dead letters, largest first: how many, why (Redis: by reason among the newest entries; RabbitMQ: the note
 * saying why they are not read), and the exact `mqa dlq stats` and `mqa dlq redrive` commands to copy.
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { DeadLetterView } from "../../console-protocol.js";
import { count } from "./format.js";

function Command({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  const copy = (): void => {
    // The clipboard API needs a secure context (127.0.0.1 and https are); elsewhere the text stays selectable.
    navigator.clipboard?.writeText(text).then(
      () => {
        setCopied(true);
        window.setTimeout(() => setCopied(false), 1500);
      },
      () => undefined,
    );
  };
  return (
    <div class="command">
      <code>
        {/* One box per word: a line breaks between words, not inside `--group`. */}
        {text.split(" ").map((word, i) => (
          <Fragment key={i}>
            {i > 0 ? " " : ""}
            <span class="word">{word}</span>
          </Fragment>
        ))}
      </code>
      <button type="button" class="copy" onClick={copy} aria-label="copy the command">
        {copied ? "copied" : "copy"}
      </button>
    </div>
  );
}

function Reasons({ d }: { d: DeadLetterView }) {
  if (d.byReason === null || d.byReason.length === 0)
    return <p class="muted reasons-note">{d.reasonsNote ?? "reasons not known"}</p>;
  const largest = d.byReason[0]?.count ?? 1;
  return (
    <div class="reasons">
      <p class="muted">by reason{d.sampled !== null ? `, newest ${count(d.sampled)}` : ""}</p>
      <ul>
        {d.byReason.map((r) => (
          <li key={r.reason} class="reason">
            <span class="reason-name">{r.reason}</span>
            <span class="bar" aria-hidden="true">
              <span
                style={{ width: `${Math.max(4, Math.round((100 * r.count) / Math.max(1, largest)))}%` }}
              />
            </span>
            <span class="n">{count(r.count)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function DeadLetterList({
  deadLetters,
  selectedId,
  onSelect,
}: {
  deadLetters: DeadLetterView[] | null;
  selectedId: string | null;
  onSelect(id: string): void;
}) {
  return (
    <section class="panel dead-letters" id="dead-letters">
      <h2>Dead letters</h2>
      {deadLetters === null ? null : deadLetters.length === 0 ? (
        <p class="muted quiet">No dead letters.</p>
      ) : (
        deadLetters.map((d) => (
          <article
            key={d.id}
            class={`dlq${selectedId === d.id ? " selected" : ""}`}
            data-resource={d.resource}
          >
            <header>
              <button type="button" class="dlq-name" onClick={() => onSelect(d.id)} title="chart this queue">
                {d.resource}
              </button>
              <span class="dlq-count">{count(d.count)}</span>
            </header>
            <Reasons d={d} />
            <Command text={d.stats} />
            <Command text={d.redrive} />
            {d.note !== null && <p class="muted note">{d.note}</p>}
          </article>
        ))
      )}
    </section>
  );
}
