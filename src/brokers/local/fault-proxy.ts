/**
 * A TCP proxy for fault tests: sits between a client and a broker on loopback and can cut every
 * connection, stall traffic (hold bytes without closing), or slow it down. Exported for users' own tests.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";

export interface FaultProxyOptions {
  /** Broker host to forward to. @defaultValue "127.0.0.1" */
  targetHost?: string;
  targetPort: number;
  /** Port to listen on; 0 picks a free one. @defaultValue 0 */
  listenPort?: number;
}

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
}

/** TCP fault proxy. `start()`, point the client at `url`/`port`, then `cut()`, `stall()`, `slow()`. */
export class FaultProxy {
  private server: net.Server | undefined;
  private readonly pipes = new Set<Pipe>();
  private stalled = false;
  private delayMs = 0;
  private refusing = false;
  /** Connections accepted so far. */
  accepted = 0;
  /** Times `cut()` was called. */
  cuts = 0;

  constructor(private readonly options: FaultProxyOptions) {}

  /** Listen on loopback; resolves with the port. */
  async start(): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.listenPort ?? 0, "127.0.0.1", () => resolve());
    });
    return this.port;
  }

  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error("FaultProxy is not started; call start() first");
    return addr.port;
  }

  /** Number of live proxied connections. */
  get connections(): number {
    return this.pipes.size;
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.accepted++;
    client.setNoDelay(true);
    const upstream = net.connect({
      host: this.options.targetHost ?? "127.0.0.1",
      port: this.options.targetPort,
    });
    upstream.setNoDelay(true);
    const pipe: Pipe = { client, upstream };
    this.pipes.add(pipe);
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on("data", (chunk: Buffer) => {
        if (this.stalled) return; // bytes swallowed: the peer sees a silent connection
        if (this.delayMs > 0) {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, this.delayMs);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => from.resume());
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const close = (): void => {
      this.pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  }

  /** Reset every live connection at once, as a network failure would. New connections are accepted. */
  cut(): void {
    this.cuts++;
    for (const { client, upstream } of this.pipes) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pipes.clear();
  }

  /** Refuse (true) or accept (false) new connections, e.g. to keep a client offline for a while. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Hold all bytes in both directions without closing anything (a black hole), until `unstall()`. */
  stall(): void {
    this.stalled = true;
  }

  unstall(): void {
    this.stalled = false;
  }

  /** Delay every chunk by `ms` (0 turns it off). */
  slow(ms: number): void {
    this.delayMs = ms;
  }

  /** Cut everything and stop listening. */
  async stop(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
