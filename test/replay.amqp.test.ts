/**
 * Replay on the real RabbitMQ: a topic whose spec keeps a `history` gets the stream queue `<topic>.history`
 * from the transport (with its first group) and from `mqa topology`'s expansion alike; it is read from a time
 * (exactly the messages published at or after it, although streams start at a chunk), from the start, from an
 * offset, up to an offset or a time, following, and resumed from a PostgreSQL checkpoint saved in the
 * caller's transaction. A topic without history, and a queue that is not a stream, are refused with what to
 * do. Each test uses topics of its own and deletes what it declared.
 */
import { setTimeout as delay } from "node:timers/promises";
import amqplib from "amqplib";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MqaError } from "../src/core/errors.js";
import {
  PostgresCheckpointStore,
  REPLAY_END_HEADER,
  openReplay,
  type ReplayBatch,
  type ReplayReader,
} from "../src/replay/mod.js";
import { defineTopology } from "../src/spec/define.js";
import { expandRabbit } from "../src/topology/expand-rabbit.js";
import { createAmqpTransport, type AmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL } from "./support/amqp.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});
afterAll(() => pool.end());

const text = new TextEncoder();

function uniqueTopic(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A spec whose topic keeps a history, and a transport on it; both removed after the test. */
async function topicWithHistory(
  prefix: string,
): Promise<{ topic: string; spec: ReturnType<typeof specFor>; transport: AmqpTransport }> {
  const topic = uniqueTopic(prefix);
  const spec = specFor(topic);
  const transport = createAmqpTransport({ url: AMQP_URL, topology: spec });
  cleanups.push(() => deleteAll([`${topic}.g`, `${topic}.g.dlq`, `${topic}.history`], [topic]));
  cleanups.push(() => transport.close({ timeoutMs: 2000 }));
  await transport.declare({ topic, group: "g" });
  return { topic, spec, transport };
}

function specFor(topic: string) {
  return defineTopology({
    version: 1,
    rabbitmq: {
      vhosts: [{ name: "/" }],
      topics: [{ name: topic, history: { maxAge: "1h" }, groups: [{ name: "g" }] }],
    },
  });
}

async function deleteAll(queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  const c = await amqplib.connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
    await ch.close();
  } finally {
    await c.close();
  }
}

async function publish(t: AmqpTransport, topic: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) await t.publish(topic, { id, payload: text.encode(id) });
}

async function readAll(reader: ReplayReader): Promise<{ ids: string[]; batches: ReplayBatch[] }> {
  const ids: string[] = [];
  const batches: ReplayBatch[] = [];
  for await (const batch of reader) {
    batches.push(batch);
    ids.push(...batch.messages.map((r) => r.message.id));
  }
  await reader.close();
  return { ids, batches };
}

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

describe("replay on RabbitMQ stream queues", () => {
  it("a topic's history is a stream queue in the spec's expansion, as the transport declares it", () => {
    const topic = "orders";
    const defs = expandRabbit(specFor(topic)).definitions;
    const history = defs.queues.find((q) => q.name === "orders.history");
    expect(history?.arguments).toEqual({ "x-queue-type": "stream", "x-max-age": "1h" });
    expect(defs.bindings).toContainEqual(
      expect.objectContaining({ source: "orders", destination: "orders.history", routing_key: "#" }),
    );
  });

  it("from a timestamp returns exactly the messages published at or after it, in order", async () => {
    const { topic, spec, transport } = await topicWithHistory("replay-ts");
    const before = names("a", 40);
    const after = names("b", 40);
    // Early in a second, so T falls in the same second as the first batch: RabbitMQ's timestamp offset
    // (whole seconds, whole chunks) then starts before T, and the reader must drop what was stamped earlier.
    while (Date.now() % 1000 > 300) await delay(5);
    await publish(transport, topic, before);
    const lastStamp = Date.now();
    while (Date.now() <= lastStamp) await delay(1);
    const t = new Date();
    await publish(transport, topic, after);

    const reader = await openReplay(AMQP_URL, topic, {
      topology: spec,
      from: { timestamp: t },
      batchSize: 8,
    });
    expect(reader.method).toContain(`${topic}.history`);
    const { ids, batches } = await readAll(reader);
    expect(ids).toEqual(after);
    expect(batches.every((b) => b.messages.length <= 8)).toBe(true);
    const positions = batches.flatMap((b) => b.messages.map((r) => Number(r.position)));
    expect(positions).toEqual(positions.map((_, i) => 40 + i)); // offsets of the second batch
  });

  it("from the start, from an offset, up to an offset (inclusive) or a time (exclusive); markers are skipped", async () => {
    const { topic, spec, transport } = await topicWithHistory("replay-range");
    const ids = names("m", 20);
    await publish(transport, topic, ids.slice(0, 10));
    // A bounded replay writes its end marker into the stream: later replays must not see it.
    expect((await readAll(await openReplay(AMQP_URL, topic, { topology: spec }))).ids).toEqual(
      ids.slice(0, 10),
    );
    const split = Date.now();
    while (Date.now() <= split) await delay(1);
    const t = new Date();
    await publish(transport, topic, ids.slice(10));

    expect((await readAll(await openReplay(AMQP_URL, topic, { topology: spec }))).ids).toEqual(ids);
    // Offsets: messages 0..9 are 0..9, the first marker is 10, messages 10..19 are 11..20.
    const fromFive = await openReplay(AMQP_URL, topic, {
      topology: spec,
      from: { offset: 5 },
      to: { offset: 13 },
    });
    expect((await readAll(fromFive)).ids).toEqual(ids.slice(5, 13));
    const toTime = await openReplay(AMQP_URL, topic, { topology: spec, to: { timestamp: t } });
    expect((await readAll(toTime)).ids).toEqual(ids.slice(0, 10));

    // The markers are in the stream, with the header, and nowhere else (the group queue has only messages).
    const c = await amqplib.connect(AMQP_URL);
    cleanups.push(() => c.close());
    const ch = await c.createChannel();
    expect((await ch.checkQueue(`${topic}.g`)).messageCount).toBe(20);
    await ch.prefetch(100);
    const markers: number[] = [];
    let seen = 0;
    await new Promise<void>((resolve) => {
      void ch.consume(
        `${topic}.history`,
        (m) => {
          if (!m) return;
          const h = m.properties.headers ?? {};
          if (h[REPLAY_END_HEADER] !== undefined) markers.push(Number(h["x-stream-offset"]));
          if (++seen === 24) resolve();
          ch.ack(m);
        },
        { arguments: { "x-stream-offset": "first" } },
      );
    });
    expect(markers).toEqual([10, 21, 22, 23]);
  });

  it("replays another client's messages (no mqa headers) as a consumer would get them", async () => {
    const { topic, spec } = await topicWithHistory("replay-foreign");
    const c = await amqplib.connect(AMQP_URL);
    cleanups.push(() => c.close());
    const ch = await c.createConfirmChannel();
    ch.publish(topic, "order.created", Buffer.from("<order id='7'/>"), {
      messageId: "foreign-1",
      contentType: "application/xml",
      timestamp: Math.floor(Date.now() / 1000),
      headers: { attempt: 3 },
    });
    await ch.waitForConfirms();
    const { batches } = await readAll(await openReplay(AMQP_URL, topic, { topology: spec }));
    const [r] = batches.flatMap((b) => b.messages);
    expect(r!.message).toMatchObject({
      id: "foreign-1",
      key: "order.created",
      contentType: "application/xml",
      headers: { attempt: "3", "x-stream-offset": "0" },
    });
    expect(new TextDecoder().decode(r!.message.payload)).toBe("<order id='7'/>");
  });

  it("follows new messages after the end, until closed", async () => {
    const { topic, spec, transport } = await topicWithHistory("replay-follow");
    await publish(transport, topic, ["old-1"]);
    const reader = await openReplay(AMQP_URL, topic, { topology: spec, follow: true });
    const seen: string[] = [];
    const running = reader.run((b) => void seen.push(...b.messages.map((r) => r.message.id)));
    await publish(transport, topic, ["new-1", "new-2"]);
    while (seen.length < 3) await delay(10);
    await reader.close();
    await running;
    expect(seen).toEqual(["old-1", "new-1", "new-2"]);
  });

  it("resumes after a checkpoint saved in the caller's PostgreSQL transaction", async () => {
    const { topic, spec, transport } = await topicWithHistory("replay-pg");
    const ids = names("p", 30);
    await publish(transport, topic, ids);
    const table = `replay_cp_${Math.random().toString(36).slice(2, 10)}`;
    cleanups.push(() => pool.query(`DROP TABLE IF EXISTS ${table}`));
    const store = new PostgresCheckpointStore({ db: pool, table });
    const checkpoint = { name: "model", store, save: "manual" as const };

    const reader = await openReplay(AMQP_URL, topic, { topology: spec, batchSize: 10, checkpoint });
    const b1 = (await reader.next())!;
    const tx = await pool.connect();
    try {
      await tx.query("BEGIN");
      await store.save("model", b1.cursor, tx);
      expect(await store.load("model")).toBeUndefined(); // not committed yet
      await tx.query("COMMIT");
    } finally {
      tx.release();
    }
    const b2 = (await reader.next())!;
    const tx2 = await pool.connect();
    try {
      await tx2.query("BEGIN");
      await store.save("model", b2.cursor, tx2);
      await tx2.query("ROLLBACK"); // the model's transaction failed: the checkpoint stays where it was
    } finally {
      tx2.release();
    }
    await reader.close();
    expect(await store.load("model")).toBe("9");

    const again = await openReplay(AMQP_URL, topic, { topology: spec, batchSize: 10, checkpoint });
    expect(again.resumedAfter).toBe("9");
    expect((await readAll(again)).ids).toEqual(ids.slice(10));
  });

  it("refuses a topic without history, saying how to keep one, and a queue that is not a stream", async () => {
    const topic = uniqueTopic("replay-none");
    const err = await openReplay(AMQP_URL, topic).catch((e: unknown) => e);
    expect(MqaError.is(err, "not-found")).toBe(true);
    expect((err as Error).message).toContain(`no stream queue "${topic}.history"`);
    expect((err as Error).message).toContain("history: { maxAge: 7d }");

    const transport = createAmqpTransport({ url: AMQP_URL });
    cleanups.push(() => deleteAll([`${topic}.g`, `${topic}.g.dlq`], [topic]));
    cleanups.push(() => transport.close({ timeoutMs: 2000 }));
    await transport.declare({ topic, group: "g" });
    await publish(transport, topic, ["kept"]);
    const quorum = await openReplay(AMQP_URL, topic, { queue: `${topic}.g` }).catch((e: unknown) => e);
    expect(MqaError.is(quorum, "invalid-options")).toBe(true);
    expect((quorum as Error).message).toContain("is not a stream queue");
    const c = await amqplib.connect(AMQP_URL);
    cleanups.push(() => c.close());
    expect((await (await c.createChannel()).checkQueue(`${topic}.g`)).messageCount).toBe(1); // untouched

    const badOffset = await openReplay(AMQP_URL, topic, { from: { offset: "1700-0" } }).catch(
      (e: unknown) => e,
    );
    expect(MqaError.is(badOffset, "invalid-options")).toBe(true);
    expect((badOffset as Error).message).toContain("is not a RabbitMQ stream offset");
  });
});
