/** Test helpers for mqa and its users: the conformance suite, broker launchers, the TCP fault proxy. */
export { FaultProxy, type FaultProxyOptions } from "./fault-proxy.js";
export { describeTransportConformance, type ConformanceTarget } from "./conformance.js";
export { waitFor } from "./wait.js";
export { RedisServerProcess, freePort, type RedisLauncherOptions } from "./redis-launcher.js";
export { RabbitMqLauncher, type RabbitMqLauncherOptions } from "./rabbitmq-launcher.js";
