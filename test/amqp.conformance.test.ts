/** The universal conformance suite against the real RabbitMQ on 127.0.0.1:5672. */
import { describeTransportConformance } from "../src/testing/conformance.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";

describeTransportConformance({
  name: "amqp",
  create: () =>
    createAmqpTransport({ url: "amqp://guest:guest@127.0.0.1:5672", initialConnectTimeoutMs: 5000 }),
});
