/** The shared fault suite against a private RabbitMQ node started for this file. */
import { describeTransportFaults, RabbitMqLauncher } from "../src/testing/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";

describeTransportFaults({
  name: "amqp",
  deliveryLimitReason: "delivery-limit",
  async start() {
    const node = new RabbitMqLauncher();
    await node.start();
    return {
      port: node.port,
      create: (port, options) =>
        createAmqpTransport({
          url: `amqp://guest:guest@127.0.0.1:${port}`,
          reconnect: { baseMs: 50, maxMs: 500 },
          heartbeatSeconds: 5,
          initialConnectTimeoutMs: 10_000,
          publishTimeoutMs: 60_000,
          ...(options?.deliveryLimit === undefined ? {} : { deliveryLimit: options.deliveryLimit }),
        }),
      restart: () => node.restart(),
      stop: () => node.stop(),
    };
  },
});
