/**
 * The console's server side: the built page's files (content types, 404 for anything the build did not
 * write, no way out of the directory) and `/events` (retry, one `history` then a `state` on connect, a
 * `state` per sample, the token, the cap on open streams, subscribers dropped when a client goes). The
 * monitor samples the real Redis with a SCAN pattern of its own, so it reads no other test's keys.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request, type IncomingMessage } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleStreams } from "../src/monitor/console-events.js";
import type { ConsoleHistory, ConsoleState } from "../src/monitor/console-protocol.js";
import { Monitor, serveMonitor, type MonitorServer } from "../src/monitor/mod.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const topic = uniqueName("monevents");
const stream = `mqa:{${topic}}`;
afterAll(() => cleanupRedis(stream));
const token = "events-token-0123456789abcdef";

/** A raw GET (so the path reaches the server as written, `..` and all). */
function open(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, ...headers },
    });
    req.on("response", (res) => resolve({ res, close: () => req.destroy() }));
    req.on("error", reject);
    req.end();
  });
}

async function body(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface SseEvent {
  event: string;
  data: string;
}

/** Reads an event stream as it arrives: `next()` gives the next event (comments and `retry:` are kept apart). */
class EventReader {
  private buffer = "";
  private readonly events: SseEvent[] = [];
  private waiting: (() => void) | undefined;
  readonly fields: string[] = [];

  constructor(res: IncomingMessage) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf("\n\n")) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const lines = block.split("\n");
        const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
        const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
        if (event !== undefined && data !== undefined) this.events.push({ event, data });
        else this.fields.push(block);
      }
      this.waiting?.();
    });
  }

  async next(): Promise<SseEvent> {
    for (;;) {
      const e = this.events.shift();
      if (e !== undefined) return e;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

describe("monitor console: built files and /events", () => {
  let monitor: Monitor;
  let server: MonitorServer;
  let guarded: MonitorServer;
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    await redis.xgroup("CREATE", stream, "billing", "$", "MKSTREAM");
    monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `${stream}*` }), { intervalMs: 60_000 });
    await monitor.sampleOnce();
    server = await serveMonitor(monitor, { port: 0, maxStreams: 2 });
    guarded = await serveMonitor(monitor, { port: 0, token });
  });
  afterAll(async () => {
    await server?.close();
    await guarded?.close();
    await monitor?.stop();
    redis?.disconnect();
  });

  it("serves the built page and its assets with their content types, and nothing else", async () => {
    const index = await open(server.port, "/");
    expect(index.res.statusCode).toBe(200);
    expect(index.res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const html = (await body(index.res)).toString("utf8");
    const js = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    const css = /href="\.\/(assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    expect(css).toBeDefined();
    const script = await open(server.port, `/${js}`);
    expect(script.res.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.res.headers["cache-control"]).toContain("immutable");
    expect((await body(script.res)).length).toBe(Number(script.res.headers["content-length"]));
    const sheet = await open(server.port, `/${css}`);
    expect(sheet.res.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await body(sheet.res)).toString("utf8")).toContain(".uplot"); // uPlot's sheet is bundled in

    for (const path of [
      "/assets/nope.js",
      "/index.htm",
      "/../package.json",
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/..%2f..%2fpackage.json",
      "/assets/..%5c..%5cpackage.json",
      "//etc/passwd",
      `/${js}/..`.replace(/\/[^/]+\/\.\.$/, "/../monitor/server.js"),
    ]) {
      const reply = await open(server.port, path);
      expect({ path, status: reply.res.statusCode }).toEqual({ path, status: 404 });
      expect((await body(reply.res)).toString("utf8")).toMatch(/^not found/);
    }
  });

  it("answers a request target it cannot parse with 400, and refuses a stream cap that is not a count", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () =>
        socket.write(`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`),
      );
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (c: string) => (text += c));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    for (const maxStreams of [-1, 1.5, Number.NaN])
      await expect(serveMonitor(monitor, { port: 0, maxStreams })).rejects.toThrow(
        /maxStreams must be a whole number of streams/,
      );
  });

  it("says to run the build when the page is not built", async () => {
    const empty = await mkdtemp(join(tmpdir(), "mqa-ui-"));
    try {
      await expect(serveMonitor(monitor, { port: 0, consoleDir: empty })).rejects.toThrow(
        /no index\.html in .*mqa-ui-.*run npm run build/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("streams retry, history then state on connect, a state per sample, and drops the subscriber on close", async () => {
    const before = monitor.console.subscribers;
    const stream1 = await open(server.port, "/events");
    try {
      expect(stream1.res.statusCode).toBe(200);
      expect(stream1.res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      expect(stream1.res.headers["cache-control"]).toBe("no-store");
      const reader = new EventReader(stream1.res);
      const history = await reader.next();
      expect(history.event).toBe("history");
      expect(reader.fields).toContain("retry: 1000");
      const h = JSON.parse(history.data) as ConsoleHistory;
      expect(h.points.length).toBe(monitor.console.history().points.length);
      expect(h.points.length).toBeGreaterThan(0);
      const first = await reader.next();
      expect(first.event).toBe("state");
      const s1 = JSON.parse(first.data) as ConsoleState;
      expect(s1.samples).toBe(monitor.state.samples);
      expect(s1.topics.map((t) => t.topic)).toContain(topic);
      expect(monitor.console.subscribers).toBe(before + 1);

      await redis.xadd(stream, "*", "p", "1");
      await monitor.sampleOnce();
      const next = await reader.next();
      expect(next.event).toBe("state");
      const s2 = JSON.parse(next.data) as ConsoleState;
      expect(s2.samples).toBe(s1.samples + 1);
      const billing = s2.topics.find((t) => t.topic === topic)?.groups.find((g) => g.group === "billing");
      expect(billing?.queue.backlog).toBe(1);
      expect(s2.point?.points[billing?.queue.id ?? ""]?.backlog).toBe(1);
    } finally {
      stream1.close();
    }
    await expect.poll(() => monitor.console.subscribers, { timeout: 5000 }).toBe(before);
  });

  it("caps the streams open at once with a clear 503, and frees a place when one closes", async () => {
    const before = monitor.console.subscribers;
    const a = await open(server.port, "/events");
    const b = await open(server.port, "/events");
    expect([a.res.statusCode, b.res.statusCode]).toEqual([200, 200]);
    const refused = await open(server.port, "/events");
    expect(refused.res.statusCode).toBe(503);
    expect((await body(refused.res)).toString("utf8")).toMatch(/2 console streams are open already/);
    a.close();
    await expect
      .poll(
        async () => {
          const again = await open(server.port, "/events");
          again.close();
          return again.res.statusCode;
        },
        { timeout: 5000 },
      )
      .toBe(200);
    b.close();
    // Every stream this test opened is gone before the next test counts them.
    await expect.poll(() => monitor.console.subscribers, { timeout: 5000 }).toBe(before);
  });

  it("needs the token when one is set: bearer header or the cookie /?token= sets, which EventSource sends", async () => {
    const before = monitor.console.subscribers;
    const refused = await open(guarded.port, "/events");
    expect(refused.res.statusCode).toBe(401);
    expect((await body(refused.res)).toString("utf8")).not.toContain(token);
    const login = await open(guarded.port, `/?token=${encodeURIComponent(token)}`);
    const cookie = String(login.res.headers["set-cookie"]).split(";")[0] ?? "";
    const withCookie = await open(guarded.port, "/events", { cookie });
    expect(withCookie.res.statusCode).toBe(200);
    expect((await new EventReader(withCookie.res).next()).event).toBe("history");
    withCookie.close();
    const withBearer = await open(guarded.port, "/events", { authorization: `Bearer ${token}` });
    expect(withBearer.res.statusCode).toBe(200);
    withBearer.close();
    // Both streams (on the same monitor as the other tests') are gone before the next test counts them.
    await expect.poll(() => monitor.console.subscribers, { timeout: 5000 }).toBe(before);
  });
});

describe("console event streams and a client that stops reading", () => {
  it("cuts the client off once its unread data passes the bound, and drops its subscriber", async () => {
    // The source is the monitor's own feed shape with a state made large on purpose (a 1 MiB gap text), so a
    // few states fill the socket buffers; no broker is needed to show a slow client.
    const monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `${uniqueName("monslow")}:*` }), {
      intervalMs: 60_000,
    });
    const big: ConsoleState = { ...monitor.console.state(), gaps: ["x".repeat(1 << 20)] };
    const listeners = new Set<(s: ConsoleState) => void>();
    const source = {
      history: () => monitor.console.history(),
      state: () => big,
      subscribe(listener: (s: ConsoleState) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const streams = new ConsoleStreams(source, { maxBufferedBytes: 2 << 20 });
    const server = createServer((req, res) => streams.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = await open(port, "/events");
      client.res.pause(); // reads nothing more: the kernel's buffers fill, then the server's
      expect(listeners.size).toBe(1);
      let sent = 0;
      while (listeners.size > 0 && sent < 200) {
        for (const l of [...listeners]) l(big);
        sent += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(listeners.size).toBe(0);
      expect(streams.size).toBe(0);
      // Cut off long before 200 MiB piled up: the socket buffers plus the 2 MiB bound.
      expect(sent).toBeLessThan(100);
      client.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await monitor.stop();
    }
  });
});
