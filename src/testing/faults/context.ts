/** What every fault case shares: the private broker, the transports and proxies to tear down. */
import { randomUUID } from "node:crypto";
import type { Transport } from "../../core/transport.js";
import { FaultProxy, waitFor } from "../mod.js";
import type { FaultTarget, PrivateBroker } from "./target.js";

export interface FaultContext {
  readonly target: FaultTarget;
  readonly patience: number;
  /** The broker, once `start()` resolved. */
  broker(): PrivateBroker;
  /** A name no other case uses. */
  unique(what: string): string;
  /** A connected transport straight to the broker. */
  direct(options?: { deliveryLimit?: number }): Promise<Transport>;
  /** A fault proxy in front of the broker, and a maker of connected transports going through it. */
  proxied(): Promise<{ proxy: FaultProxy; transport(): Promise<Transport> }>;
}

export interface FaultLifecycle extends FaultContext {
  start(): Promise<void>;
  /** Abort every transport and stop every proxy (after each case). */
  release(): Promise<void>;
  stop(): Promise<void>;
}

export function createFaultContext(target: FaultTarget): FaultLifecycle {
  let started: PrivateBroker | undefined;
  const open: Transport[] = [];
  const proxies: FaultProxy[] = [];
  const broker = (): PrivateBroker => {
    if (started === undefined)
      throw new Error(`fault suite ${target.name}: the private broker did not start`);
    return started;
  };
  const connected = async (port: number, options?: { deliveryLimit?: number }): Promise<Transport> => {
    const t = await broker().create(port, options);
    open.push(t);
    await t.connect();
    return t;
  };
  return {
    target,
    patience: target.patienceMs ?? 30_000,
    broker,
    unique: (what) => `fault.${target.name}.${what}.${randomUUID().slice(0, 8)}`,
    direct: (options) => connected(broker().port, options),
    async proxied() {
      const proxy = new FaultProxy({ targetPort: broker().port });
      proxies.push(proxy);
      await proxy.start();
      return { proxy, transport: () => connected(proxy.port) };
    },
    async start() {
      started = await target.start();
    },
    async release() {
      // abort() drops connections at once; the private broker is thrown away, so nothing needs a clean close.
      await Promise.all(open.splice(0).map((t) => t.abort().catch(() => undefined)));
      await Promise.all(proxies.splice(0).map((p) => p.stop()));
    },
    async stop() {
      await started?.stop();
    },
  };
}

export { waitFor };
