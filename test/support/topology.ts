/** Helpers for topology tests against the real brokers (not exported from the package). */
import { randomBytes } from "node:crypto";
import { RabbitManagementApi } from "../../src/brokers/management-api.js";

export const RABBIT_MANAGEMENT_URL =
  process.env["MQA_RABBITMQ_MANAGEMENT_URL"] ?? "http://guest:guest@127.0.0.1:15672";
export const REDIS_URL = process.env["MQA_REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** A name no other test (or run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/**
 * Remove what a test created: its vhosts (with everything in them) and users. Missing ones are fine. Every
 * deletion is tried even when one fails (a slow vhost delete must not leave the users behind); the first
 * failure is thrown at the end.
 */
export async function cleanupRabbit(vhosts: string[], users: string[] = []): Promise<void> {
  const api = new RabbitManagementApi(RABBIT_MANAGEMENT_URL);
  const results = await Promise.allSettled([
    ...vhosts.map((v) => api.deleteVhost(v)),
    ...users.map((u) => api.deleteUser(u)),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Delete every key under `prefix` (tests use a unique prefix, so this touches nothing else). */
export async function cleanupRedis(prefix: string): Promise<void> {
  const { connectRedisAdmin } = await import("../../src/brokers/redis-admin.js");
  const redis = await connectRedisAdmin(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = (await redis.call("SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", 500)) as [
        string,
        string[],
      ];
      cursor = next;
      if (keys.length > 0) await redis.call("DEL", ...keys);
    } while (cursor !== "0");
  } finally {
    await redis.close();
  }
}
