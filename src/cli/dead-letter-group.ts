/**
 * `mqa consume --dead-letters` on a topic or group that does not exist must say so, not print nothing (Redis:
 * a missing stream reads as no dead letters) or blame the group's declaration (RabbitMQ: a missing queue
 * reads as "declared with deadLetter: false"). The check runs only when the read came back empty or failed,
 * so reading a real group's dead letters costs nothing more.
 */
import { connectRedisAdmin } from "../brokers/redis-admin.js";
import { MqaError, ResourceNotFoundError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import type { DeadLetter, Transport } from "../core/transport.js";
import { DEFAULT_KEY_PREFIX, RedisKeyNames } from "../transports/redis/layout.js";
import type { Address } from "./address.js";
import type { CliConnection } from "./connection.js";

/** `read()`'s dead letters; throws `not-found` naming what is missing when the group or topic does not exist. */
export async function assertGroupHasDeadLetters(
  transport: Transport,
  connection: CliConnection,
  address: Address,
  read: () => Promise<DeadLetter[]>,
): Promise<DeadLetter[]> {
  const scheme = /^([a-z]+):/i.exec(connection.url)?.[1]?.toLowerCase();
  let letters: DeadLetter[];
  try {
    letters = await read();
  } catch (err) {
    if ((scheme === "amqp" || scheme === "amqps") && MqaError.is(err) && err.code === "unsupported")
      await assertAmqpGroupExists(transport, connection, address);
    throw err;
  }
  if (letters.length === 0 && (scheme === "redis" || scheme === "rediss"))
    await assertRedisGroupExists(connection, address);
  return letters;
}

function missing(address: Address, url: string, what: string): ResourceNotFoundError {
  return new ResourceNotFoundError(
    `group '${address.group ?? ""}' of ${address.describe} does not exist on ${maskUrl(url)} (${what}); ` +
      "check --topic/--queue/--stream and --group: nothing was read",
  );
}

async function assertAmqpGroupExists(
  transport: Transport,
  connection: CliConnection,
  address: Address,
): Promise<void> {
  const layoutOf = (transport as { groupLayout?: (t: string, g: string) => { queue: string } }).groupLayout;
  if (typeof layoutOf !== "function") return;
  const queue = layoutOf.call(transport, address.topic, address.group ?? "").queue;
  const { default: amqplib } = await import("amqplib");
  const tls = /^amqps:/i.test(connection.url) && connection.tls ? connection.tls : {};
  const model = await amqplib.connect(connection.url, { timeout: 5000, ...tls });
  try {
    const channel = await model.createChannel();
    channel.on("error", () => undefined);
    const found = await channel.checkQueue(queue).then(
      () => true,
      () => false,
    );
    if (!found) throw missing(address, connection.url, `no queue '${queue}'`);
    await channel.close().catch(() => undefined);
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** The stream keys a topic has on the server: `--stream`'s key, the spec's, or mqa's key and its partitions. */
async function topicStreams(
  call: (c: string, ...a: (string | number)[]) => Promise<unknown>,
  address: Address,
): Promise<string[]> {
  const fromSpec = address.spec?.redis?.streams?.find((s) => s.name === address.topic)?.key;
  const fromFlags = address.connect.redis?.topics?.[address.topic]?.key;
  const key = fromFlags ?? fromSpec;
  if (key !== undefined) return (await call("EXISTS", key)) === 1 ? [key] : [];
  const names = new RedisKeyNames(address.spec?.redis?.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const single = names.stream(address.topic);
  const base = single.slice(0, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const partition = new RegExp(`^${base}#\\d+\\}$`);
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = (await call(
      "SCAN",
      cursor,
      "MATCH",
      names.topicPattern(address.topic),
      "COUNT",
      1000,
    )) as [string, string[]];
    cursor = next;
    for (const k of keys) if (k === single || partition.test(k)) found.push(k);
  } while (cursor !== "0");
  return found;
}

async function assertRedisGroupExists(connection: CliConnection, address: Address): Promise<void> {
  const admin = await connectRedisAdmin(connection.url, connection.tls ? { tls: connection.tls } : {});
  try {
    const streams = await topicStreams((c, ...a) => admin.call(c, ...a), address);
    if (streams.length === 0) throw missing(address, connection.url, "the topic has no stream");
    for (const key of streams) {
      const groups = (await admin.call("XINFO", "GROUPS", key).catch(() => [])) as unknown[];
      if (groups.some((g) => Array.isArray(g) && g[1] === address.group)) return;
    }
    throw missing(
      address,
      connection.url,
      `no consumer group '${address.group ?? ""}' on ${streams.join(", ")}`,
    );
  } finally {
    await admin.close();
  }
}
