/**
 * The console's Server-Sent Events at `/events`: on connect `retry: 1000`, one `history` event (every point
 * the monitor keeps) and one `state` event, then a `state` event after every sample and a comment every
 * 15 s so proxies and idle timeouts keep the connection open. One way, over plain HTTP: the browser's
 * EventSource reconnects by itself and passes the same guards (Host check, token cookie) as every request.
 * Streams are capped (a page left open in 200 tabs must not hold 200 sockets and their buffers), and a
 * client that stops reading is cut off once its unsent data passes a bound instead of growing the heap.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConsoleHistory, ConsoleState } from "./console-protocol.js";

/** What the streams read: the monitor's console feed (./console.ts). */
export interface ConsoleSource {
  history(): ConsoleHistory;
  state(): ConsoleState;
  subscribe(listener: (state: ConsoleState) => void): () => void;
}

export interface ConsoleStreamOptions {
  /** Streams open at once; one more gets 503. @defaultValue 100 */
  maxStreams?: number;
  /** Between keep-alive comments. @defaultValue 15000 */
  keepAliveMs?: number;
  /** Unsent bytes a slow client may have queued before it is cut off. @defaultValue 8 MiB */
  maxBufferedBytes?: number;
}

/** Sent on connect: how long the browser waits before it reconnects a dropped stream. */
const RETRY_MS = 1000;

/** One event. JSON.stringify escapes line breaks inside strings, so the data is one line: one `data:` field. */
function frame(event: "history" | "state", data: ConsoleHistory | ConsoleState): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class ConsoleStreams {
  private readonly open = new Set<ServerResponse>();
  private readonly maxStreams: number;
  private readonly keepAliveMs: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly source: ConsoleSource,
    options: ConsoleStreamOptions = {},
  ) {
    this.maxStreams = options.maxStreams ?? 100;
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  }

  /** Streams open now. */
  get size(): number {
    return this.open.size;
  }

  /** Answer a request for `/events` (the guards have passed). */
  serve(req: IncomingMessage, res: ServerResponse): void {
    if (this.open.size >= this.maxStreams) {
      res
        .writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "10" })
        .end(
          `mqa monitor: ${this.maxStreams} console streams are open already; close other tabs of this page and it reconnects by itself\n`,
        );
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      // Tell buffering proxies (nginx) to pass each event on at once.
      "x-accel-buffering": "no",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    this.open.add(res);
    res.write(
      `retry: ${RETRY_MS}\n\n${frame("history", this.source.history())}${frame("state", this.source.state())}`,
    );
    // The history may be large (hours of points for many queues): it always goes, and the bound on what a
    // client may leave unread applies on top of it.
    const allowance = this.maxBufferedBytes + res.writableLength;
    const send = (state: ConsoleState): void => {
      if (res.destroyed) return;
      if (res.writableLength > allowance) {
        res.destroy(); // it stopped reading; its page reconnects once it can keep up again
        return;
      }
      res.write(frame("state", state));
    };
    const unsubscribe = this.source.subscribe(send);
    const keepAlive = setInterval(() => {
      if (!res.destroyed) res.write(": keep-alive\n\n");
    }, this.keepAliveMs);
    keepAlive.unref();
    res.once("close", () => {
      clearInterval(keepAlive);
      unsubscribe();
      this.open.delete(res);
    });
  }
}
