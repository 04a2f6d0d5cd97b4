/**
 * Moved to src/brokers/local/fault-proxy.ts (verify starts private brokers and fault proxies too, so they are product
 * code). This path stays for existing imports; import from `src/testing/mod.js` (`mqa/testing`) instead.
 */
export * from "../brokers/local/fault-proxy.js";
