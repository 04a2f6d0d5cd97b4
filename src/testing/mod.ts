/**
 * Test helpers for mqa and its users: the conformance suite, broker launchers, the TCP fault proxy. The
 * launchers, proxy and `waitFor` live in src/brokers/local (verify uses them too); this is their public face.
 */
export { FaultProxy, type FaultProxyOptions } from "../brokers/local/fault-proxy.js";
export {
  describeTransportConformance,
  describeTransportFaults,
  type ConformanceTarget,
  type FaultTarget,
  type PrivateBroker,
} from "./conformance/mod.js";
export { waitFor } from "../brokers/local/wait.js";
export { RedisServerProcess, freePort, type RedisLauncherOptions } from "../brokers/local/redis-launcher.js";
export {
  RedisClusterProcess,
  parseClusterNodes,
  type ClusterNodeInfo,
  type RedisClusterNode,
  type RedisClusterOptions,
} from "../brokers/local/redis-cluster.js";
export { RabbitMqLauncher, type RabbitMqLauncherOptions } from "../brokers/local/rabbitmq-launcher.js";
export {
  RabbitMqCluster,
  type ClusterNodeRef,
  type RabbitMqClusterOptions,
} from "../brokers/local/rabbitmq-cluster.js";
