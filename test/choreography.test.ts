/**
 * The choreography example (examples/choreography) on the embedded broker, Redis Streams and RabbitMQ: three
 * services react to each other's events until every order is shipped or cancelled, with no coordinator. On
 * the networked brokers each order is then read back as one transaction from the topics' history, by the
 * library (`collectTransaction`) and by the built `mqa trace` command: the causation tree goes command →
 * OrderPlaced → PaymentCaptured → OrderShipped (or → PaymentDeclined → OrderCancelled), a cause left unread
 * makes an orphan root with a note, and `--since` after the run finds nothing. Each run has its own topic
 * prefix; what it declared is removed afterwards.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { runChoreography, type ChoreographyReport } from "../examples/choreography/run.js";
import { SUBSCRIPTIONS } from "../examples/choreography/topology.js";
import {
  buildTransactionTree,
  collectTransaction,
  type TraceNode,
  type TransactionTree,
} from "../src/trace/mod.js";
import { AMQP_URL } from "./support/amqp.js";
import { mqa } from "./support/cli.js";
import { REDIS_URL } from "./redis-helpers.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});

const uniquePrefix = (): string => `chor-${Math.random().toString(36).slice(2, 10)}`;

/** Every `onEvent` / `onCommand` group of the example, per topic. */
function groupsOf(prefix: string): Array<{ topic: string; groups: string[] }> {
  return [
    { topic: `${prefix}.commands.PlaceOrder`, groups: ["handler"] },
    ...Object.entries(SUBSCRIPTIONS).map(([name, groups]) => ({
      topic: `${prefix}.events.${name}`,
      groups: [...groups],
    })),
  ];
}

async function removeRabbit(prefix: string): Promise<void> {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    for (const { topic, groups } of groupsOf(prefix)) {
      for (const g of groups) {
        await ch.deleteQueue(`${topic}.${g}`);
        await ch.deleteQueue(`${topic}.${g}.dlq`);
      }
      await ch.deleteQueue(`${topic}.history`);
      await ch.deleteExchange(topic);
    }
    await ch.close();
  } finally {
    await c.close();
  }
}

async function removeRedis(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    const keys = await client.keys(`mqa:{${prefix}.*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

/** `topic-suffix(child,…)` of a forest: the last part of each topic name. */
function shape(nodes: readonly TraceNode[]): string {
  return nodes
    .map((n) => {
      const name = n.topic.split(".").pop()!;
      return n.children.length > 0 ? `${name}(${shape(n.children)})` : name;
    })
    .join(",");
}

function expectOutcomes(report: ChoreographyReport): void {
  expect(report.orders.map((o) => [o.orderId.split("-").pop(), o.status])).toEqual([
    ["1", "shipped"],
    ["2", "shipped"],
    ["3", "cancelled"],
    ["4", "shipped"],
  ]);
  expect(report.orders[2]?.detail).toBe("card limit exceeded (950.00 > 500.00)");
  expect(report.orders[1]?.detail).toBe(`parcel-${report.orders[1]?.orderId}`);
}

it("runs on the embedded broker: three orders shipped, the one above the card limit cancelled", async () => {
  const lines: string[] = [];
  const report = await runChoreography({ prefix: uniquePrefix(), onLine: (l) => lines.push(l) });
  expectOutcomes(report);
  const third = report.orders[2]!.orderId;
  expect(lines).toContain(`order ${third} cancelled: card limit exceeded (950.00 > 500.00)`);
  expect(lines.filter((l) => / shipped in parcel-/.test(l))).toHaveLength(3);
});

describe.each([
  { name: "Redis Streams", url: REDIS_URL, remove: removeRedis },
  { name: "RabbitMQ (history stream queues)", url: AMQP_URL, remove: removeRabbit },
])("on $name, and traced from the topics' history", ({ url, remove }) => {
  it("each order is one transaction whose causation tree shows what reacted to what", async () => {
    const prefix = uniquePrefix();
    cleanups.push(() => remove(prefix));
    const started = new Date();
    const report = await runChoreography({ broker: url, prefix });
    expectOutcomes(report);

    const shipped = report.orders[1]!;
    const cancelled = report.orders[2]!;
    const trace = async (correlationId: string, topics = report.topics): Promise<TransactionTree> =>
      buildTransactionTree(correlationId, (await collectTransaction(url, correlationId, topics)).messages);

    const a = await trace(shipped.correlationId);
    expect(shape(a.roots)).toBe("PlaceOrder(OrderPlaced(PaymentCaptured(OrderShipped)))");
    expect(a.roots[0]?.payload).toMatchObject({ orderId: shipped.orderId, amount: "120.00" });
    expect(a.roots[0]?.children[0]?.id).toBe(`${shipped.orderId}/placed`);
    const b = await trace(cancelled.correlationId);
    expect(shape(b.roots)).toBe("PlaceOrder(OrderPlaced(PaymentDeclined(OrderCancelled)))");
    // Offsets grow down the chain: each reaction was published after its cause.
    const chain = [b.roots[0]!];
    while (chain.at(-1)!.children[0]) chain.push(chain.at(-1)!.children[0]!);
    expect(chain.map((n) => n.offsetMs)).toEqual([...chain.map((n) => n.offsetMs)].sort((x, y) => x - y));

    // Without the command topic the transaction starts at an orphan: OrderPlaced, its cause not read.
    const partial = await trace(
      cancelled.correlationId,
      report.topics.filter((t) => !t.includes(".commands.")),
    );
    expect(shape(partial.roots)).toBe("OrderPlaced(PaymentDeclined(OrderCancelled))");
    expect(partial.roots[0]?.orphan).toBe("cause-not-found");
    expect(partial.roots[0]?.causationId).toBe(b.roots[0]?.id);

    // The CLI (built bin): the same tree as text and as JSON; --since after the run finds nothing (exit 1).
    const topicFlags = report.topics.flatMap((t) => ["--topic", t]);
    const text = await mqa("trace", cancelled.correlationId, "--broker", url, ...topicFlags);
    expect(text.stderr).toMatch(
      /^mqa trace: read \d+ messages from 6 topics on .* in [\d.]+ s; 4 in transaction /m,
    );
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^transaction ${cancelled.correlationId}: 4 messages on 4 topics, from ${started.toISOString().slice(0, 10)}`,
      ),
    );
    expect(lines.slice(1).map((l) => l.replace(/ {2}\+.*$/, ""))).toEqual([
      `└─ ${prefix}.commands.PlaceOrder`,
      `   └─ ${prefix}.events.OrderPlaced`,
      `      └─ ${prefix}.events.PaymentDeclined`,
      `         └─ ${prefix}.events.OrderCancelled`,
    ]);
    expect(lines[3]).toContain(`${cancelled.orderId}/declined  [event PaymentDeclined]`);
    const json = await mqa("trace", shipped.correlationId, "--broker", url, ...topicFlags, "--json");
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as TransactionTree & {
      topics: Array<{ topic: string; kept: number }>;
    };
    expect(shape(parsed.roots)).toBe(shape(a.roots));
    expect(parsed.topics.map((t) => t.kept)).toEqual([1, 1, 1, 0, 1, 0]);
    const later = new Date(Date.now() + 60_000).toISOString();
    const none = await mqa("trace", shipped.correlationId, "--broker", url, ...topicFlags, "--since", later);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe("");
    expect(none.stderr).toContain(`no message of correlation id ${shipped.correlationId}`);
  });
});

it("mqa trace says what is missing: no topic, a bad --since, a broker without history", async () => {
  const noTopic = await mqa("trace", "tx", "--broker", REDIS_URL);
  expect(noTopic.code).toBe(2);
  expect(noTopic.stderr).toContain("give the topics to read with --topic <topic>");
  const badSince = await mqa("trace", "tx", "--broker", REDIS_URL, "--topic", "t", "--since", "yesterday");
  expect(badSince.code).toBe(2);
  expect(badSince.stderr).toMatch(/--since "yesterday" is not/);
  const memory = await mqa("trace", "tx", "--broker", "memory://", "--topic", "t");
  expect(memory.code).toBe(2);
  expect(memory.stderr).toMatch(/topic t: replay is not available on the embedded memory:\/\/ broker/);
  const noHistory = await mqa("trace", "tx", "--broker", AMQP_URL, "--topic", uniquePrefix());
  expect(noHistory.code).toBe(2);
  expect(noHistory.stderr).toMatch(/\[not-found\]/);
});
