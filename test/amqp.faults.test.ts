/**
 * RabbitMQ-specific fault tests against a private RabbitMQ node started here (shared by every test in this
 * file to keep CI time down): a real SIGKILLed consumer process, consumer_timeout, TLS. Connection cuts, a
 * broker restart, a killed consumer and a crash-looping poison message are the shared fault suite's
 * (test/amqp.fault-suite.test.ts, src/testing/faults/).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RabbitMqLauncher, waitFor } from "../src/testing/mod.js";
import {
  type AmqpTransport,
  type AmqpTransportOptions,
  createAmqpTransport,
} from "../src/transports/amqp/mod.js";
import type { AmqpSubscription } from "../src/transports/amqp/subscription.js";

const node = new RabbitMqLauncher({
  // A short consumer_timeout for (e); the channel tick makes the broker check it often.
  config: ["consumer_timeout = 3000"],
  tls: true,
  advancedConfig: "[{rabbit, [{channel_tick_interval, 500}]}].",
});
const open: AmqpTransport[] = [];

beforeAll(() => node.start(), 90_000);
afterAll(() => node.stop(), 60_000);
afterEach(async () => {
  const transports = open.splice(0);
  const states = transports.map((t) => t.state.status).join(", ");
  // abort() returns in milliseconds; one that never does is a bug to report, not a slow broker to wait for.
  await within(
    Promise.all(transports.map((t) => t.abort())),
    20_000,
    () =>
      `transport abort() did not return within 20 s (states before it: ${states}): a connection loop is ` +
      "stuck, e.g. in a ready hook awaiting a channel close that amqplib never settles because the " +
      "connection died meanwhile",
  );
});

/** `work`, or a rejection with `what()` when it has not settled after `ms`. */
async function within<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(what())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function transport(opts: AmqpTransportOptions = {}): AmqpTransport {
  const t = createAmqpTransport({
    url: node.url,
    reconnect: { baseMs: 50, maxMs: 500 },
    heartbeatSeconds: 5,
    initialConnectTimeoutMs: 10_000,
    ...opts,
  });
  open.push(t);
  return t;
}
const uid = (): string => Math.random().toString(36).slice(2, 10);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("RabbitMQ transport under faults", () => {
  it("(c) consumer process killed with SIGKILL mid-batch: its unacked messages go to another consumer", async () => {
    const script = fileURLToPath(new URL("./fixtures/amqp-crash-consumer.mjs", import.meta.url));
    const dist = fileURLToPath(new URL("../dist/transports/amqp/mod.js", import.meta.url));
    expect(existsSync(dist), "dist/ is missing: run `npm run build` (npm test does it)").toBe(true);
    const topic = `fault-c-${uid()}`;
    const pub = transport();
    await pub.declare({ topic, group: "g" });
    for (let i = 0; i < 100; i++) await pub.publish(topic, { payload: bytes(String(i)) });

    const child = spawn(process.execPath, [script, node.url, topic, "10"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked = new Set<string>();
    const held = new Set<string>();
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/^(acked|holding) (\S+)$/gm)) (m[1] === "acked" ? acked : held).add(m[2]!);
    });
    const exited = new Promise((r) => child.once("exit", r));
    await waitFor(() => held.size === 50, 30_000, "the child to hold a full prefetch");
    child.kill("SIGKILL");
    await exited;

    const other = transport();
    const got = new Map<string, number>();
    await other.subscribe(topic, "g", async (d) => {
      got.set(text(d.message.payload), d.message.attempt);
      await d.ack();
    });
    await waitFor(() => got.size === 90, 30_000, "the other consumer to get every unacked message");
    for (const id of held) expect(got.get(id)).toBeGreaterThanOrEqual(2);
    for (const id of acked) expect(got.has(id)).toBe(false);
  }, 120_000);

  it("(e) consumer_timeout exceeded by a slow handler: the consumer recovers and the message is not lost", async () => {
    const topic = `fault-e-${uid()}`;
    const t = transport();
    await t.declare({ topic, group: "g" });
    const done: { body: string; attempt: number }[] = [];
    const sub = (await t.subscribe(topic, "g", async (d) => {
      const body = text(d.message.payload);
      if (body === "slow" && d.message.attempt === 1) await new Promise((r) => setTimeout(r, 6000));
      done.push({ body, attempt: d.message.attempt });
      await d.ack();
    })) as AmqpSubscription;
    await t.publish(topic, { payload: bytes("slow") });
    await waitFor(() => sub.stats.channelClosedByBroker >= 1, 30_000, "the broker to close the channel");
    await waitFor(() => done.some((d) => d.body === "slow" && d.attempt >= 2), 30_000, "the redelivery");
    await t.publish(topic, { payload: bytes("later") });
    await waitFor(() => done.some((d) => d.body === "later"), 10_000, "a later message");
    // The slow handler's late ack belonged to the dead channel: dropped and counted, not sent.
    await waitFor(() => sub.stats.staleSettlements >= 1, 10_000, "the stale ack to be counted");
    expect(await t.readDeadLetters(topic, "g")).toHaveLength(0);
  }, 90_000);

  it("(f) amqps with a client certificate: connects and delivers; without the certificate it is refused", async () => {
    const topic = `fault-f-${uid()}`;
    const t = transport({ url: node.tlsUrl, tls: node.clientTls });
    await t.declare({ topic, group: "g" });
    const got: string[] = [];
    await t.subscribe(topic, "g", async (d) => {
      got.push(text(d.message.payload));
      await d.ack();
    });
    await t.publish(topic, { payload: bytes("over tls") });
    await waitFor(() => got.length === 1, 10_000, "the message over TLS");
    const noCert = transport({
      url: node.tlsUrl,
      tls: { ca: node.clientTls.ca },
      initialConnectTimeoutMs: 1500,
    });
    await expect(noCert.connect()).rejects.toMatchObject({ code: "connection-closed" });
  }, 60_000);
});
