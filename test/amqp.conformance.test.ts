/** The universal conformance suite against the real RabbitMQ on 127.0.0.1:5672 (reconnect cases through a fault proxy). */
import { describeTransportConformance } from "../src/testing/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_PORT, AMQP_URL, deleteTopology } from "./support/amqp.js";

/** AMQP_URL with its host and port replaced by 127.0.0.1:`port` (a fault proxy's). */
const viaPort = (port: number): string => {
  const url = new URL(AMQP_URL);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
};

describeTransportConformance({
  name: "amqp",
  create: () => createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000 }),
  cleanup: (declared) => deleteTopology(AMQP_URL, declared),
  proxied: {
    brokerPort: AMQP_PORT,
    create: (port) =>
      createAmqpTransport({
        url: viaPort(port),
        initialConnectTimeoutMs: 5000,
        reconnect: { baseMs: 50, maxMs: 500 },
        publishTimeoutMs: 30_000,
      }),
  },
});
