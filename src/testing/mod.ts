/** Test helpers for mqa and its users: the conformance suite, broker launchers, the TCP fault proxy. */
export { FaultProxy, type FaultProxyOptions } from "./fault-proxy.js";
