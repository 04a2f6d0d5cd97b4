import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import type { Delivery } from "../../core/transport.js";
import { RabbitMqLauncher, waitFor } from "../../testing/mod.js";
import { AMQP_URL, testTopics } from "../../../test/support/amqp.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import { refusedBy, sizeRefusalOf } from "./message-size.js";

const open: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 2000 })));
});

/** The code a publish rejected with, or `ok`. */
function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e: unknown) => (MqaError.is(e) ? e.code : String(e)),
  );
}

describe("the broker's size refusal, as the channel close states it", () => {
  it("reads the refused size and the limit from a 406 close only", () => {
    const text =
      'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - message size 2097152 is larger than configured max size 1048576"';
    expect(sizeRefusalOf({ message: text, code: 406 })).toEqual({ size: 2_097_152, max: 1_048_576 });
    expect(sizeRefusalOf({ message: text, code: 404 })).toBeUndefined();
    expect(
      sizeRefusalOf({ message: "PRECONDITION_FAILED - unknown delivery tag 1", code: 406 }),
    ).toBeUndefined();
    const r = { size: 2_097_152, max: 1_048_576 };
    expect([refusedBy(r, 2_097_152), refusedBy(r, 1_048_577), refusedBy(r, 1_048_576)]).toEqual([
      true,
      true,
      false,
    ]);
  });
});

describe("maxMessageBytes on the shared broker", () => {
  const newTopic = testTopics("f1size");
  it("a message over maxMessageBytes is refused at once with message-too-large and never sent", async () => {
    const t = createAmqpTransport({ url: AMQP_URL, maxMessageBytes: 4096 });
    open.push(t);
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const err = await t.publish(topic, { payload: new Uint8Array(4097) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "message-too-large")).toBe(true);
    expect((err as MqaError).details).toMatchObject({ bytes: 4097, limit: 4096, source: "option" });
    expect((err as MqaError).message).toMatch(/maxMessageBytes/);
    expect(t.publisherStats).toMatchObject({ tooLarge: 1, resent: 0 });
    expect(await outcome(t.publish(topic, { payload: new Uint8Array(4096) }))).toBe("ok");
  });
});

describe("a broker with a lower max_message_size than maxMessageBytes", () => {
  const node = new RabbitMqLauncher({ config: ["max_message_size = 1048576"] });
  beforeAll(() => node.start(), 120_000);
  afterAll(() => node.stop(), 60_000);

  it("fails the refused message once (never resent), sends its neighbours, and refuses the next one before sending", async () => {
    const t = createAmqpTransport({
      url: node.url,
      maxMessageBytes: 4 * 1024 * 1024,
      publishTimeoutMs: 20_000,
      maxRetryDelayMs: 1000,
    });
    open.push(t);
    const topic = "f1-size";
    await t.declare({ topic, group: "g" });
    const got = new Set<string>();
    await t.subscribe(topic, "g", async (d: Delivery) => {
      got.add(d.message.id);
      await d.ack();
    });

    const small = (i: number): Promise<string> =>
      outcome(t.publish(topic, { id: `small-${i}`, payload: new Uint8Array(1000) }));
    const before = Array.from({ length: 20 }, (_, i) => small(i));
    const big = outcome(t.publish(topic, { id: "big", payload: new Uint8Array(2 * 1024 * 1024) }));
    const after = Array.from({ length: 20 }, (_, i) => small(20 + i));
    expect(await big).toBe("message-too-large");
    expect(await Promise.all([...before, ...after])).toEqual(Array(40).fill("ok"));
    await waitFor(() => got.size === 40, 10_000, "the 40 neighbours delivered");
    expect(got.has("big")).toBe(false);
    const stats = { ...t.publisherStats };
    // Only the neighbours on the closed channel were sent again, each at most once; the big one never.
    expect(stats.tooLarge).toBe(1);
    expect(stats.resent).toBeLessThanOrEqual(40);

    // The broker's limit is known now: the next large message fails before it costs the channel again.
    const err = await t.publish(topic, { payload: new Uint8Array(1_048_577) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "message-too-large")).toBe(true);
    expect((err as MqaError).details).toMatchObject({ limit: 1_048_576, source: "broker" });
    expect(t.publisherStats.resent).toBe(stats.resent);
    expect(await small(99)).toBe("ok");
  }, 60_000);
});
