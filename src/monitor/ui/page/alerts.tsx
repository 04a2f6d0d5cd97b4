/**
 * The alerts panel: newest first (the server's order), each with its severity, what is wrong, the fix, and
 * since when it has been raised.
 */
import type { AlertView } from "../../console-protocol.js";
import { clock, duration } from "./format.js";

export function AlertList({ alerts }: { alerts: AlertView[] | null }) {
  return (
    <section class="panel alerts" id="alerts">
      <h2>Alerts {alerts !== null && alerts.length > 0 && <span class="badge">{alerts.length}</span>}</h2>
      {alerts === null ? (
        <p class="muted">waiting for the first sample…</p>
      ) : alerts.length === 0 ? (
        <p class="muted quiet">No alerts.</p>
      ) : (
        <ol class="alert-list">
          {alerts.map((a) => (
            <li key={`${a.kind}\u0000${a.resource}`} class={`alert ${a.severity}`} data-kind={a.kind}>
              <div class="alert-head">
                <span class={`sev ${a.severity}`}>{a.severity}</span>
                <span class="since muted" title={new Date(a.since).toISOString()}>
                  since {clock(a.since)} ({duration(Date.now() - a.since)})
                </span>
              </div>
              <p class="message">{a.message}</p>
              <p class="fix">
                <span class="muted">fix: </span>
                {a.fix}
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
