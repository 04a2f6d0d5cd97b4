/**
 * Routing a run's client connections through the project's TCP {@link FaultProxy}, so a
 * `connection-cut` fault resets real sockets between mqa and the broker.
 */
import { MqaError } from "../core/errors.js";
import { FaultProxy } from "../brokers/local/fault-proxy.js";

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  "amqp:": 5672,
  "amqps:": 5671,
  "redis:": 6379,
  "rediss:": 6380,
};

/** True when `url` reaches its broker over TCP (so a proxy can sit in between). */
export function isNetworkUrl(url: string): boolean {
  return new URL(url).protocol in DEFAULT_PORTS;
}

/** A started proxy and the broker URL that goes through it. */
export interface ProxiedBroker {
  proxy: FaultProxy;
  url: string;
}

/** Start a proxy in front of the broker of `url`; the returned URL points at the proxy. */
export async function proxyBroker(url: string): Promise<ProxiedBroker> {
  const u = new URL(url);
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
  if (port === undefined) throw new MqaError("unsupported", `cannot proxy ${u.protocol}// connections`);
  if (u.protocol === "amqps:" || u.protocol === "rediss:") {
    // TLS checks the host name; a loopback proxy would break it. Keep the fault honest instead of faking it.
    throw new MqaError("unsupported", "connection-cut needs a plain TCP URL (amqp://, redis://), not TLS");
  }
  const proxy = new FaultProxy({ targetHost: u.hostname, targetPort: port });
  const listen = await proxy.start();
  u.hostname = "127.0.0.1";
  u.port = String(listen);
  return { proxy, url: u.toString() };
}
