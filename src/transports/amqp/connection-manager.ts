/**
 * One AMQP connection that stays up: connects across the cluster's nodes (in a random order per
 * connection, or as given: {@link connectOrder}), reconnects with
 * exponential backoff and full jitter, and runs `onReady` hooks (re-declare topology, resubscribe)
 * after every (re)connect, so user code never has to. Its state lives in a {@link ConnectionStateCell}
 * (the transition rules, the old → new log line) and every transition is emitted as a `state` event.
 *
 * mqa uses two of these per transport, one for publishing and one for consuming, so a publisher
 * throttled by the broker (flow control, memory alarm) never stalls the acks of consumers.
 */
import { EventEmitter } from "node:events";
import amqp from "amqplib";
import type { ChannelModel, Options, SocketOptions } from "amqplib";
import type { Logger } from "pino";
import { backoffDelay } from "../../core/backoff.js";
import { ConnectionClosedError, summarizeError } from "../../core/errors.js";
import { maskUrl } from "../../core/redact.js";
import type { ConnectionState } from "../../core/transport.js";
import { ConnectionStateCell } from "../connection-state.js";
import { closeQuietly } from "./close-quietly.js";
import { fatalConnectCause, fatalConnectError } from "./connect-failure.js";
import { coalesceWrites } from "./coalesce-writes.js";
import type { ResolvedAmqpOptions } from "./options.js";
import { serverVersionOf } from "./server-version.js";
import { connectOrder } from "./url-order.js";
import { destroySocket } from "./socket.js";

/** Which traffic a connection carries. */
export type ConnectionRole = "publish" | "consume";

/** A live connection, with a generation number that changes on every reconnect. */
export interface LiveConnection {
  readonly model: ChannelModel;
  /** The URL (node) it is connected to; credentials included, mask before printing. */
  readonly url: string;
  readonly generation: number;
  readonly serverVersion: string | undefined;
}

/** Work to redo after each (re)connect. A failing hook is logged; it does not drop the connection. */
export type ReadyHook = (connection: LiveConnection) => Promise<void>;

interface ManagerEvents {
  state: [state: ConnectionState, previous: ConnectionState];
  ready: [connection: LiveConnection];
  lost: [generation: number, error: Error | undefined];
}

/** Keeps one AMQP connection alive. */
export class ConnectionManager extends EventEmitter<ManagerEvents> {
  private readonly cell: ConnectionStateCell;
  private live: LiveConnection | undefined;
  /** The open connection, also while its ready hooks still run (close and abort must reach it then). */
  private opened: ChannelModel | undefined;
  private generation = 0;
  private loop: Promise<void> | undefined;
  /** Aborted to end the connect loop (close, abort, or a failed first connect). */
  private stop = new AbortController();
  private readonly hooks: ReadyHook[] = [];
  private readonly urls: readonly string[];
  /** The URLs the next connect attempts try, in order (see {@link connectOrder}), and how many were tried. */
  private order: string[];
  private tried = 0;
  /** Why the first connect cannot succeed (a refused login or vhost, TLS): `start()` rejects with it at once. */
  private fatal: Error | undefined;

  constructor(
    readonly role: ConnectionRole,
    private readonly options: ResolvedAmqpOptions,
    private readonly log: Logger,
  ) {
    super();
    this.urls = Array.isArray(options.url) ? options.url : [options.url];
    this.order = connectOrder(this.urls, options.urlOrder);
    this.cell = new ConnectionStateCell(log, `amqp ${role} connection`, { role });
    this.cell.on((state, previous) => this.emit("state", state, previous));
  }

  get state(): ConnectionState {
    return this.cell.state;
  }

  /** The open connection, if any. */
  get connection(): LiveConnection | undefined {
    return this.live;
  }

  /** Run `hook` after every (re)connect, before the connection counts as ready. */
  addReadyHook(hook: ReadyHook): void {
    this.hooks.push(hook);
  }

  /** Changes the state through the cell (rules, log, `state` event), then wakes who waits on it. */
  private setState(next: ConnectionState): void {
    if (!this.cell.set(next)) return;
    if (next.status === "ready" && this.live) {
      this.nextReady?.resolve(this.live);
      this.nextReady = undefined;
    } else if (next.status === "closing") {
      this.nextReady?.reject(new ConnectionClosedError(`the amqp ${this.role} connection is closing`));
      this.nextReady = undefined;
    }
  }

  /** Start connecting; resolves once connected, rejects after `initialConnectTimeoutMs`. Idempotent. */
  async start(): Promise<LiveConnection> {
    if (this.cell.state.status === "closing" || this.cell.state.status === "closed")
      throw new ConnectionClosedError(`the amqp ${this.role} connection was closed; create a new transport`);
    if (!this.loop) this.fatal = undefined; // a fresh start tries again
    this.loop ??= this.run();
    try {
      return await this.waitReady(this.options.initialConnectTimeoutMs);
    } catch (err) {
      // Never connected: stop trying (no timers left behind) so a later start() begins afresh.
      if (!this.live && this.cell.state.status !== "ready" && this.generation === 0) {
        this.stop.abort();
        await this.loop.catch(() => undefined);
        this.loop = undefined;
        this.stop = new AbortController();
        this.setState({ status: "idle" });
      }
      throw err;
    }
  }

  /** One shared promise for everyone waiting on the next ready connection (thousands of publishes). */
  private nextReady:
    | { promise: Promise<LiveConnection>; resolve: (c: LiveConnection) => void; reject: (e: Error) => void }
    | undefined;

  private readyPromise(): Promise<LiveConnection> {
    if (!this.nextReady) {
      let resolve!: (c: LiveConnection) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<LiveConnection>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      this.nextReady = { promise, resolve, reject };
    }
    return this.nextReady.promise;
  }

  /** Resolve with the live connection, waiting up to `timeoutMs` for one. */
  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<LiveConnection> {
    if (this.live && this.cell.state.status === "ready") return Promise.resolve(this.live);
    if (this.cell.state.status === "closing" || this.cell.state.status === "closed")
      return Promise.reject(new ConnectionClosedError(`the amqp ${this.role} connection is closed`));
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.readyPromise().then(
        (c) => {
          done();
          resolve(c);
        },
        (err: Error) => {
          done();
          reject(err);
        },
      );
      const onAbort = (): void => {
        done();
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        done();
        const last = this.cell.state.status === "reconnecting" ? this.cell.state.lastError : undefined;
        reject(
          new ConnectionClosedError(
            `no amqp ${this.role} connection to ${this.urls.map(maskUrl).join(", ")} within ${timeoutMs} ms` +
              (last ? ` (last error: ${last})` : "") +
              "; check that RabbitMQ is running and the URL, or raise initialConnectTimeoutMs",
          ),
        );
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    let everConnected = false;
    while (!this.stop.signal.aborted) {
      // After the first connect, "reconnecting" was already set when the connection was lost or failed.
      if (!everConnected) this.setState({ status: "connecting", attempt: failures + 1 });
      const url = this.nextUrl();
      let model: ChannelModel;
      try {
        model = await amqp.connect(this.connectOptions(url), this.socketOptions(url));
      } catch (err) {
        failures++;
        const message = summarizeError(err).message;
        const cause = fatalConnectCause(err);
        if (cause && !everConnected) {
          // Retrying cannot help (wrong password, missing vhost, untrusted certificate): fail connect() now.
          this.fatal = fatalConnectError(cause, url, err);
          this.log.error({ role: this.role, url: maskUrl(url), reason: cause }, this.fatal.message);
          this.nextReady?.reject(this.fatal);
          this.nextReady = undefined;
          break;
        }
        this.log.warn({ role: this.role, url: maskUrl(url), err: message }, "amqp connect failed");
        if (everConnected) this.setState({ status: "reconnecting", attempt: failures, lastError: message });
        await this.pause(failures - 1);
        continue;
      }
      if (this.stop.signal.aborted) {
        await this.closeModel(model);
        break;
      }
      coalesceWrites(model, this.log);
      const lost = new Promise<Error | undefined>((resolve) => {
        model.on("close", (err?: Error) => resolve(err));
        model.on("error", (err: Error) =>
          this.log.warn({ role: this.role, err: err.message }, "amqp connection error"),
        );
      });
      model.on("blocked", (reason: string) =>
        this.log.warn({ role: this.role, reason }, "amqp connection blocked by the broker"),
      );
      model.on("unblocked", () => this.log.info({ role: this.role }, "amqp connection unblocked"));
      const live: LiveConnection = {
        model,
        url,
        generation: ++this.generation,
        serverVersion: serverVersionOf(
          model.connection.serverProperties as unknown as Record<string, unknown>,
        ),
      };
      this.log.info(
        { role: this.role, url: maskUrl(url), serverVersion: live.serverVersion },
        "amqp connected",
      );
      this.opened = model;
      const hooksOk = (await this.runHooks(live)) && !this.stop.signal.aborted;
      if (hooksOk) {
        failures = 0;
        everConnected = true;
        this.live = live;
        this.setState({ status: "ready" });
        this.emit("ready", live);
      }
      const err = hooksOk ? await lost : await this.drop(model);
      this.live = undefined;
      this.opened = undefined;
      this.emit("lost", live.generation, err);
      if (this.stop.signal.aborted) break;
      this.log.warn(
        { role: this.role, url: maskUrl(url), err: err?.message },
        "amqp connection lost; reconnecting",
      );
      // A fresh order for the next connection, with the node just lost tried last.
      this.order = connectOrder(this.urls, this.options.urlOrder, url);
      this.tried = 0;
      failures++;
      this.setState({
        status: "reconnecting",
        attempt: failures,
        ...(err ? { lastError: err.message } : {}),
      });
      await this.pause(failures - 1);
    }
  }

  /** The next URL to try; after a whole pass over the cluster, a fresh order. */
  private nextUrl(): string {
    if (this.tried >= this.order.length) {
      this.order = connectOrder(this.urls, this.options.urlOrder, this.order.at(-1));
      this.tried = 0;
    }
    return this.order[this.tried++]!;
  }

  /** Runs the ready hooks; a connection that dies during them is simply retried. */
  private async runHooks(live: LiveConnection): Promise<boolean> {
    for (const hook of this.hooks) {
      try {
        await hook(live);
      } catch (err) {
        this.log.error({ role: this.role, err: summarizeError(err) }, "amqp setup after connect failed");
        return false;
      }
    }
    return true;
  }

  private async drop(model: ChannelModel): Promise<Error | undefined> {
    await this.closeModel(model);
    return new ConnectionClosedError("setup after connect failed");
  }

  /**
   * Close `model`, bounded by `connectTimeoutMs`: a connection that dies or goes silent mid-close never
   * answers, and amqplib's close() then never settles. Past the bound the socket is cut instead.
   */
  private async closeModel(model: ChannelModel): Promise<void> {
    if (await closeQuietly(model, this.options.connectTimeoutMs)) return;
    this.log.warn(
      { role: this.role, timeoutMs: this.options.connectTimeoutMs },
      "amqp connection close not answered in time; cutting the socket",
    );
    if (!destroySocket(model, new Error("connection close not answered by the broker")))
      this.log.warn(
        { role: this.role },
        "amqplib internals changed: cannot cut the socket of this connection",
      );
  }

  private async pause(retry: number): Promise<void> {
    const ms = backoffDelay({ ...this.options.reconnect, multiplier: 2, jitter: "full" }, retry);
    await new Promise<void>((resolve) => {
      const signal = this.stop.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private connectOptions(url: string): Options.Connect {
    const u = new URL(url);
    const tls = u.protocol === "amqps:";
    return {
      protocol: tls ? "amqps" : "amqp",
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port ? Number(u.port) : tls ? 5671 : 5672,
      username: decodeURIComponent(u.username || "guest"),
      password: decodeURIComponent(u.password || "guest"),
      vhost: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : "/",
      heartbeat: this.options.heartbeatSeconds,
      frameMax: 131_072,
    };
  }

  private socketOptions(url: string): SocketOptions {
    const tls = this.options.tls;
    return {
      noDelay: true,
      timeout: this.options.connectTimeoutMs,
      clientProperties: { connection_name: `${this.options.connectionName} ${this.role}` },
      ...(new URL(url).protocol === "amqps:" && tls
        ? {
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
            ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
            ...(tls.key !== undefined ? { key: tls.key } : {}),
            ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
            ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
            rejectUnauthorized: tls.rejectUnauthorized,
          }
        : {}),
    };
  }

  /** Close the connection cleanly and stop reconnecting. */
  async close(): Promise<void> {
    if (this.cell.state.status === "closed") return;
    this.setState({ status: "closing" });
    this.stop.abort();
    const model = this.opened;
    this.live = undefined;
    if (model) await this.closeModel(model);
    await this.loop?.catch(() => undefined);
    this.setState({ status: "closed" });
  }

  /** Drop the socket without closing the AMQP session, as a crashed process would. */
  async abort(): Promise<void> {
    this.setState({ status: "closing" });
    this.stop.abort();
    const model = this.opened;
    this.live = undefined;
    if (model && !destroySocket(model, new Error("connection aborted by mqa (simulated crash)"))) {
      // No socket to cut: end the connection as fast as the API allows instead of leaving it open.
      this.log.warn({ role: this.role }, "amqplib internals changed: abort closes the connection instead");
      await closeQuietly(model, this.options.connectTimeoutMs);
    }
    await this.loop?.catch(() => undefined);
    this.setState({ status: "closed" });
  }
}
