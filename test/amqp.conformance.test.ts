/** The universal conformance suite against the real RabbitMQ on 127.0.0.1:5672. */
import { describeTransportConformance } from "../src/testing/conformance.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";

describeTransportConformance({
  name: "amqp",
  create: () => createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000 }),
  cleanup: (declared) => deleteTopology(AMQP_URL, declared),
});
