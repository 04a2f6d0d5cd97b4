import amqplib from "amqplib";
import { afterEach, describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { AMQP_URL, testTopics } from "../../../test/support/amqp.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import { planNameProblems } from "./name-limits.js";
import { planGroupTopology } from "./topology-plan.js";

const open: AmqpTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 1000 })));
});
const newTopic = testTopics("f1names");

function transport(opts: Parameters<typeof createAmqpTransport>[0] = {}): AmqpTransport {
  const t = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000, ...opts });
  open.push(t);
  return t;
}

/** Whether an exchange exists on the shared broker (a passive check on a throwaway channel). */
async function exchangeExists(name: string): Promise<boolean> {
  const model = await amqplib.connect(AMQP_URL);
  try {
    const ch = await model.createChannel();
    ch.on("error", () => undefined);
    return await ch.checkExchange(name).then(
      () => true,
      () => false,
    );
  } finally {
    await model.close().catch(() => undefined);
  }
}

async function declareError(t: AmqpTransport, topic: string, group: string): Promise<MqaError> {
  const err = await t.declare({ topic, group }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MqaError)) throw new Error(`expected an MqaError, got ${String(err)}`);
  return err;
}

describe("names over 255 bytes", () => {
  it("planNameProblems counts bytes, not characters, in every name of the plan", () => {
    const topic = `t-${"ü".repeat(130)}`; // 132 characters, 262 bytes
    const problems = planNameProblems(planGroupTopology({ topic, group: "g" }));
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(["exchange", "queue", "binding source", "binding destination"]),
    );
    expect(problems.find((p) => p.field === "exchange")).toMatchObject({ name: topic, bytes: 262 });
    expect(planNameProblems(planGroupTopology({ topic: "short", group: "g" }))).toEqual([]);
  });

  it("a topic whose names the broker cannot take is refused before anything is declared", async () => {
    // 200 characters: a valid topic, but queue `T.g` plus its delay route's 56 bytes is over 255.
    const base = newTopic();
    const topic = `${base}-${"x".repeat(199 - base.length)}`;
    expect(topic.length).toBe(200);
    const t = transport();
    const err = await declareError(t, topic, "g");
    expect(err.code).toBe("invalid-options");
    expect(err.message).toMatch(/at most 255 bytes/);
    expect(err.message).toMatch(/binding routing key .* is \d+ bytes/);
    expect(err.message).toContain("nothing was declared");
    expect(await exchangeExists(topic)).toBe(false);
  });

  it("a multi-byte exchange name is measured in UTF-8 bytes, and nothing is half-declared", async () => {
    const topic = `${newTopic()}-${"é".repeat(120)}`; // under 200 characters, over 255 bytes
    const t = transport({ queueFor: (tp, g) => ({ name: `q-${g}`, retry: false }) });
    const err = await declareError(t, topic, "g");
    expect(err.code).toBe("invalid-options");
    expect(err.message).toContain(`is ${Buffer.byteLength(topic)} bytes, over RabbitMQ's limit of 255`);
    expect(await exchangeExists(topic)).toBe(false);
  });

  it("a publish with a routing key over 255 bytes is refused at once, not retried", async () => {
    const topic = newTopic();
    const t = transport();
    await t.declare({ topic, group: "g" });
    const err = await t.publish(topic, { key: "k".repeat(256), payload: new Uint8Array([1]) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MqaError.is(err, "invalid-options")).toBe(true);
    expect((err as MqaError).message).toMatch(/routing key .* is 256 bytes/);
    expect(t.publisherStats.resent).toBe(0);
  });
});
