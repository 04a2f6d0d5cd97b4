import { describeTransportConformance } from "../src/testing/mod.js";
import { MemoryBroker } from "../src/transports/memory/broker.js";
import { MemoryTransport } from "../src/transports/memory/transport.js";

// One broker for the file: transports made by create() share it, as processes share a real broker.
const broker = new MemoryBroker();
describeTransportConformance({
  name: "memory",
  create: () => new MemoryTransport({ broker }),
  patienceMs: 5000,
});
