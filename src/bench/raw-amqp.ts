/**
 * The raw-amqplib side of the benchmark, with mqa's settings: a topic exchange bound with `#` to a
 * durable queue of the same type, persistent + mandatory publishes on a confirm channel, manual acks
 * with the same prefetch. The queue is either declared with the SAME arguments mqa declares for a group
 * (`same`: dead-letter exchange and routing key, at-least-once dead-lettering, reject-publish overflow,
 * delivery limit — taken from the transport's public plan, so the two cannot drift) or as a `plain`
 * queue of the type, so the broker's cost of mqa's safety arguments shows as its own ratio.
 */
import amqplib from "amqplib";
import type { Channel, ConfirmChannel, ChannelModel } from "amqplib";
import { randomUUID } from "node:crypto";
import type { BrokerTlsOptions } from "../connect.js";
import { type Arguments, planGroupTopology } from "../transports/amqp/layout.js";
import { packageVersion } from "./versions.js";
import type { BenchQueue, BenchRole, BenchTarget } from "./target.js";

/** Queue arguments of the raw side: mqa's own for a group, or none beyond the queue type. */
export type RawTopology = "same" | "plain";

/** The raw group's name (mqa's side uses group `bench`). */
const RAW_GROUP = "raw";

/**
 * What the raw side declares for topic `name`: its queue `<name>.raw` with `x-queue-type` only (`plain`),
 * or with every argument mqa's plan gives a group plus that plan's dead-letter exchange and queue
 * (`same`). mqa's shared delay levels are left out: they are not on the publish or consume path.
 */
export function rawQueueDeclaration(
  name: string,
  queueType: "quorum" | "classic",
  topology: RawTopology,
  brokerVersion: string | undefined,
): {
  queue: string;
  arguments: Arguments;
  deadLetter?: { exchange: string; queue: string; routingKey: string };
} {
  const plan = planGroupTopology(
    { topic: name, group: RAW_GROUP, deadLetter: true },
    { queueType, retry: false, ...(brokerVersion ? { brokerVersion } : {}) },
  );
  const [main, dlq] = plan.queues;
  const binding = plan.bindings.find((b) => b.destination === dlq?.name);
  if (!main) throw new Error(`mqa's plan for ${name} has no queue`);
  if (topology === "plain") return { queue: main.name, arguments: { "x-queue-type": queueType } };
  return {
    queue: main.name,
    arguments: main.arguments,
    ...(dlq && binding
      ? { deadLetter: { exchange: binding.source, queue: dlq.name, routingKey: binding.routingKey } }
      : {}),
  };
}

/** Raw amqplib target for `url` with queues of `queueType`, declared as `topology` says. */
export async function rawAmqpTarget(
  url: string,
  queueType: "quorum" | "classic",
  tls?: BrokerTlsOptions,
  topology: RawTopology = "same",
  role: BenchRole = "baseline",
): Promise<BenchTarget> {
  // Same connection settings as mqa's connection manager (frame size, heartbeat, TCP_NODELAY), so the
  // figures compare like with like: with amqplib's default 4 KiB frames a 4 KiB body would be split.
  const u = new URL(url);
  u.searchParams.set("frameMax", "131072");
  u.searchParams.set("heartbeat", "10");
  const model: ChannelModel = await amqplib.connect(u.toString(), {
    noDelay: true,
    ...(u.protocol === "amqps:" && tls ? tls : {}),
  });
  model.on("error", () => undefined); // a lost connection fails the round's calls, not the process
  const publishChannel: ConfirmChannel = await model.createConfirmChannel();
  let drained: Promise<void> | undefined;
  const serverVersion = (): string | undefined => {
    const v = (model.connection as unknown as { serverProperties?: { version?: unknown } }).serverProperties
      ?.version;
    return typeof v === "string" ? v : undefined;
  };
  return {
    label: topology === "same" ? "amqplib" : "amqplib plain",
    role,
    client: `amqplib ${packageVersion("amqplib") ?? "?"}`,
    brokerVersion: async () => {
      const v = serverVersion();
      return v ? `RabbitMQ ${v}` : undefined;
    },
    async open(name: string): Promise<BenchQueue> {
      const admin = await model.createChannel();
      await admin.assertExchange(name, "topic", { durable: true });
      const declared = rawQueueDeclaration(name, queueType, topology, serverVersion());
      const queue = declared.queue;
      const dl = declared.deadLetter;
      if (dl) {
        // mqa.dlx is shared by every group (mqa declares it the same way); never deleted here.
        await admin.assertExchange(dl.exchange, "direct", { durable: true });
        await admin.assertQueue(dl.queue, { durable: true, arguments: { "x-queue-type": "quorum" } });
        await admin.bindQueue(dl.queue, dl.exchange, dl.routingKey);
      }
      await admin.assertQueue(queue, { durable: true, arguments: { ...declared.arguments } });
      await admin.bindQueue(queue, name, "#");
      return {
        async publish(payload) {
          if (drained) await drained;
          await new Promise<void>((resolve, reject) => {
            const ok = publishChannel.publish(
              name,
              "",
              payload,
              {
                persistent: true,
                mandatory: true,
                messageId: randomUUID(),
                contentType: "application/octet-stream",
                timestamp: Math.floor(Date.now() / 1000),
                headers: { "x-mqa-timestamp": String(Date.now()) },
              },
              (err: unknown) =>
                err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            );
            if (!ok && !drained) {
              drained = new Promise<void>((r) =>
                publishChannel.once("drain", () => {
                  drained = undefined;
                  r();
                }),
              );
            }
          });
        },
        async consume(prefetch, onMessage) {
          const ch: Channel = await model.createChannel();
          await ch.prefetch(prefetch);
          const { consumerTag } = await ch.consume(
            queue,
            (msg) => {
              if (!msg) return;
              onMessage(msg.content);
              ch.ack(msg);
            },
            { noAck: false },
          );
          return async () => {
            await ch.cancel(consumerTag);
            await ch.close();
          };
        },
        async dispose() {
          await admin.deleteQueue(queue);
          if (dl) await admin.deleteQueue(dl.queue);
          await admin.deleteExchange(name);
          await admin.close();
        },
      };
    },
    async close() {
      await publishChannel.close().catch(() => undefined);
      await model.close();
    },
  };
}
