import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "./fault-proxy.js";

async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function roundTrip(port: number, text: string, timeoutMs = 500): Promise<string | "timeout" | "closed"> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      s.destroy();
      resolve("timeout");
    }, timeoutMs);
    s.on("data", (d) => {
      clearTimeout(timer);
      s.end();
      resolve(d.toString());
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
    s.write(text);
  });
}

describe("FaultProxy", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("forwards bytes both ways", async () => {
    const echo = await echoServer();
    const proxy = new FaultProxy({ targetPort: echo.port });
    const port = await proxy.start();
    cleanups.push(() => proxy.stop(), echo.close);
    expect(await roundTrip(port, "hello")).toBe("hello");
    expect(proxy.accepted).toBe(1);
  });

  it("cut() resets live connections and still accepts new ones", async () => {
    const echo = await echoServer();
    const proxy = new FaultProxy({ targetPort: echo.port });
    const port = await proxy.start();
    cleanups.push(() => proxy.stop(), echo.close);
    const s = net.connect(port, "127.0.0.1");
    const closed = new Promise<void>((r) => s.on("close", () => r()));
    s.on("error", () => undefined);
    await new Promise<void>((r) => s.on("connect", () => r()));
    await new Promise((r) => setTimeout(r, 20));
    proxy.cut();
    await closed;
    expect(await roundTrip(port, "again")).toBe("again");
  });

  it("stall() swallows traffic without closing; unstall() lets new bytes through", async () => {
    const echo = await echoServer();
    const proxy = new FaultProxy({ targetPort: echo.port });
    const port = await proxy.start();
    cleanups.push(() => proxy.stop(), echo.close);
    proxy.stall();
    expect(await roundTrip(port, "x", 200)).toBe("timeout");
    proxy.unstall();
    expect(await roundTrip(port, "y")).toBe("y");
  });

  it("refuse() closes new connections at once", async () => {
    const echo = await echoServer();
    const proxy = new FaultProxy({ targetPort: echo.port });
    const port = await proxy.start();
    cleanups.push(() => proxy.stop(), echo.close);
    proxy.refuse(true);
    expect(await roundTrip(port, "z")).toBe("closed");
  });
});
