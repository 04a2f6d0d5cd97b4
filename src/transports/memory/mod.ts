/** `mqa/memory`: the embedded in-memory broker and its transport. Not a production broker. */
export { MemoryBroker, GroupQueue, type MemoryBrokerOptions } from "./broker.js";
export {
  MemoryTransport,
  createMemoryTransport,
  memoryFeatures,
  type MemoryTransportOptions,
} from "./transport.js";
