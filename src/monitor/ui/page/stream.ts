/**
 * The page's link to the monitor: an EventSource on `events` (relative, so a path prefix works) that hands
 * over `history` and `state` events and says how the link is. The browser reconnects a dropped stream by
 * itself (the server sends `retry: 1000`), but gives up for good after an HTTP error or, in some cases, a
 * refused connection (readyState CLOSED); then this opens a new EventSource with a backoff of 1 s doubling
 * to 10 s. The link counts as live only once a `history` event arrived, so a page that reconnected has
 * its gap filled before it says so. A stream that stays silent for three sample intervals (and at least
 * 45 s, past the server's 15 s keep-alive) is treated as dropped: a half-open TCP connection never errors.
 */
import type { ConsoleHistory, ConsoleState } from "../../console-protocol.js";

export type LinkStatus = "connecting" | "live" | "reconnecting";

export interface StreamHandlers {
  history(history: ConsoleHistory): void;
  state(state: ConsoleState): void;
  status(status: LinkStatus): void;
}

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 10_000;
const MIN_SILENCE_MS = 45_000;

/** Open the stream; the returned function closes it for good. */
export function openConsoleStream(url: string, handlers: StreamHandlers): () => void {
  let source: EventSource | undefined;
  let retryTimer: number | undefined;
  let silenceTimer: number | undefined;
  let failures = 0;
  let silenceMs = MIN_SILENCE_MS;
  let closed = false;
  let everLive = false;

  const armSilence = (): void => {
    window.clearTimeout(silenceTimer);
    silenceTimer = window.setTimeout(() => {
      // Nothing for too long: drop this EventSource and start over.
      source?.close();
      scheduleReopen();
    }, silenceMs);
  };

  const scheduleReopen = (): void => {
    if (closed) return;
    window.clearTimeout(silenceTimer);
    handlers.status(everLive ? "reconnecting" : "connecting");
    const delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** failures);
    failures += 1;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(open, delay);
  };

  function open(): void {
    if (closed) return;
    const es = new EventSource(url);
    source = es;
    armSilence();
    es.addEventListener("history", (event) => {
      const history = JSON.parse(event.data) as ConsoleHistory;
      failures = 0;
      everLive = true;
      silenceMs = Math.max(MIN_SILENCE_MS, 3 * history.intervalMs);
      armSilence();
      handlers.history(history);
      handlers.status("live");
    });
    es.addEventListener("state", (event) => {
      armSilence();
      handlers.state(JSON.parse(event.data) as ConsoleState);
    });
    es.addEventListener("error", () => {
      if (source !== es) return;
      if (es.readyState === EventSource.CLOSED) scheduleReopen();
      else handlers.status(everLive ? "reconnecting" : "connecting");
    });
  }

  handlers.status("connecting");
  open();
  return () => {
    closed = true;
    window.clearTimeout(retryTimer);
    window.clearTimeout(silenceTimer);
    source?.close();
  };
}
