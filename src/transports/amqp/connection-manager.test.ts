import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionClosedError } from "../../core/errors.js";
import type { ConnectionState } from "../../core/transport.js";
import { FaultProxy, freePort, waitFor } from "../../testing/mod.js";
import { ConnectionManager, type LiveConnection } from "./connection-manager.js";
import { type AmqpTransportOptions, resolveAmqpOptions } from "./options.js";
import { AMQP_PORT } from "../../../test/support/amqp.js";

const log = pino({ level: "silent" });
const managers: ConnectionManager[] = [];
const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

async function proxy(): Promise<FaultProxy> {
  const p = new FaultProxy({ targetPort: AMQP_PORT });
  await p.start();
  proxies.push(p);
  return p;
}
function manager(options: AmqpTransportOptions): ConnectionManager {
  const m = new ConnectionManager(
    "consume",
    resolveAmqpOptions({ reconnect: { baseMs: 20, maxMs: 200 }, ...options }),
    log,
  );
  managers.push(m);
  return m;
}

describe("ConnectionManager", () => {
  it("fails over across hosts, reruns ready hooks after a cut, and reports every transition", async () => {
    const p = await proxy();
    const dead = await freePort();
    const m = manager({
      url: [`amqp://guest:guest@127.0.0.1:${dead}`, `amqp://guest:guest@127.0.0.1:${p.port}`],
    });
    const states: ConnectionState["status"][] = [];
    m.on("state", (s) => states.push(s.status));
    const ready: LiveConnection[] = [];
    m.addReadyHook(async (live) => {
      ready.push(live);
    });
    const first = await m.start();
    expect(first.serverVersion).toMatch(/^\d+\./);
    p.cut();
    await waitFor(() => ready.length === 2 && m.state.status === "ready", 15_000, "the reconnect");
    expect(ready[1]!.generation).toBeGreaterThan(ready[0]!.generation);
    expect(states[0]).toBe("connecting");
    expect(states).toContain("reconnecting");
    expect(states.at(-1)).toBe("ready");
  });

  it("notices a silent (stalled) connection through heartbeats and reconnects", async () => {
    const p = await proxy();
    const m = manager({
      url: `amqp://guest:guest@127.0.0.1:${p.port}`,
      heartbeatSeconds: 1,
      connectTimeoutMs: 1000,
    });
    await m.start();
    p.stall();
    await waitFor(() => m.state.status === "reconnecting", 15_000, "the heartbeat timeout");
    p.unstall();
    p.cut(); // drop the stalled sockets so the next attempt starts clean
    await waitFor(() => m.state.status === "ready", 15_000, "the reconnect");
  });

  it("rejects start() after the initial timeout with a masked URL", async () => {
    const dead = await freePort();
    const m = manager({ url: `amqp://app:s3cret@127.0.0.1:${dead}`, initialConnectTimeoutMs: 500 });
    const err = await m.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect((err as Error).message).toContain("app:****@");
    expect((err as Error).message).not.toContain("s3cret");
    // It stopped trying (no timers left behind) and can be started again later.
    expect(m.state.status).toBe("idle");
  });
});
