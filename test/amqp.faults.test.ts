/**
 * Fault tests of the RabbitMQ transport (issue 3, a–e) against a private RabbitMQ node started here
 * (shared by every test in this file to keep CI time down) and the project's TCP fault proxy.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MqaError } from "../src/core/errors.js";
import type { ConnectionState } from "../src/core/transport.js";
import { FaultProxy } from "../src/testing/fault-proxy.js";
import { RabbitMqLauncher } from "../src/testing/rabbitmq-launcher.js";
import {
  type AmqpTransport,
  type AmqpTransportOptions,
  createAmqpTransport,
} from "../src/transports/amqp/mod.js";
import type { AmqpSubscription } from "../src/transports/amqp/subscription.js";
import { waitFor } from "../src/testing/wait.js";

const node = new RabbitMqLauncher({
  // A short consumer_timeout for (e); the channel tick makes the broker check it often.
  config: ["consumer_timeout = 3000"],
  tls: true,
  advancedConfig: "[{rabbit, [{channel_tick_interval, 500}]}].",
});
const open: AmqpTransport[] = [];
const proxies: FaultProxy[] = [];

beforeAll(() => node.start(), 90_000);
afterAll(() => node.stop(), 60_000);
afterEach(async () => {
  const transports = open.splice(0);
  const faultProxies = proxies.splice(0);
  const states = transports.map((t) => t.state.status).join(", ");
  try {
    // abort() returns in milliseconds; one that never does is a bug to report, not a slow broker to wait for.
    await within(
      Promise.all(transports.map((t) => t.abort())),
      20_000,
      () =>
        `transport abort() did not return within 20 s (states before it: ${states}): a connection loop is ` +
        "stuck, e.g. in a ready hook awaiting a channel close that amqplib never settles because the " +
        "connection died meanwhile",
    );
  } finally {
    await Promise.all(faultProxies.map((p) => p.stop()));
  }
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
async function proxied(): Promise<{ url: string; proxy: FaultProxy }> {
  const proxy = new FaultProxy({ targetPort: node.port });
  proxies.push(proxy);
  await proxy.start();
  return { url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, proxy };
}
const uid = (): string => Math.random().toString(36).slice(2, 10);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("RabbitMQ transport under faults", () => {
  it("(a) connections cut repeatedly during 10,000 publishes: each confirmed or rejected, every confirmed consumed", async () => {
    const { url, proxy } = await proxied();
    const topic = `fault-a-${uid()}`;
    const pub = transport({ url, publishTimeoutMs: 30_000 });
    const sub = transport({ url });
    await pub.declare({ topic, group: "g" });
    const consumed = new Set<string>();
    await sub.subscribe(topic, "g", async (d) => {
      consumed.add(text(d.message.payload));
      await d.ack();
    });
    let publishing = true;
    const cutter = (async () => {
      while (publishing && proxy.cuts < 6) {
        await new Promise((r) => setTimeout(r, 300));
        if (publishing) proxy.cut();
      }
    })();
    const results = await Promise.allSettled(
      Array.from({ length: 10_000 }, (_, i) => pub.publish(topic, { payload: bytes(String(i)) })),
    );
    publishing = false;
    await cutter;
    const confirmed = results.flatMap((r, i) => (r.status === "fulfilled" ? [String(i)] : []));
    const rejected = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    for (const err of rejected) expect(err).toBeInstanceOf(MqaError);
    expect(proxy.cuts).toBeGreaterThan(0);
    expect(confirmed.length).toBeGreaterThan(0);
    await waitFor(
      () => confirmed.every((id) => consumed.has(id)),
      60_000,
      "every confirmed message to be consumed",
    );
    console.log(
      `(a) cuts=${proxy.cuts} confirmed=${confirmed.length} rejected=${rejected.length} ` +
        `resent=${pub.publisherStats.resent} consumed=${consumed.size}`,
    );
  }, 180_000);

  it("(b) broker restarted mid-stream: nothing confirmed is lost and consumers resume by themselves", async () => {
    const topic = `fault-b-${uid()}`;
    const pub = transport({ publishTimeoutMs: 60_000 });
    const sub = transport();
    await pub.declare({ topic, group: "g" });
    const consumed = new Set<string>();
    const states: ConnectionState["status"][] = [];
    sub.onStateChange((s) => states.push(s.status));
    await sub.subscribe(topic, "g", async (d) => {
      consumed.add(text(d.message.payload));
      await d.ack();
    });
    const confirmed: string[] = [];
    let next = 0;
    let restart: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (next < 3000) {
        const id = String(next++);
        if (next === 1000) restart = node.restart();
        try {
          await pub.publish(topic, { payload: bytes(id) });
          confirmed.push(id);
        } catch (err) {
          expect(err).toBeInstanceOf(MqaError);
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    await restart;
    expect(states).toContain("reconnecting");
    await waitFor(
      () => confirmed.every((id) => consumed.has(id)),
      60_000,
      "every confirmed message to be consumed",
    );
    // Published after the restart, consumed by the same subscription without user code.
    await pub.publish(topic, { payload: bytes("after") });
    await waitFor(() => consumed.has("after"), 20_000, "the subscription to resume");
    console.log(`(b) confirmed=${confirmed.length} consumed=${consumed.size} states=${states.join(",")}`);
  }, 180_000);

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

  it("(d) a poison message reaches the DLQ after its delivery limit while the queue keeps flowing", async () => {
    const topic = `fault-d-${uid()}`;
    const t = transport({ deliveryLimit: 3 });
    await t.declare({ topic, group: "g" });
    const good = new Set<string>();
    let poisonSeen = 0;
    await t.subscribe(
      topic,
      "g",
      async (d) => {
        const body = text(d.message.payload);
        if (body === "poison") {
          poisonSeen++;
          throw new Error("cannot process this one");
        }
        good.add(body);
        await d.ack();
      },
      { prefetch: 10 },
    );
    await t.publish(topic, { payload: bytes("poison") });
    for (let i = 0; i < 200; i++) await t.publish(topic, { payload: bytes(String(i)) });
    await waitFor(() => good.size === 200, 30_000, "the good messages");
    let dead: Awaited<ReturnType<AmqpTransport["readDeadLetters"]>> = [];
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      dead = await t.readDeadLetters(topic, "g");
      if (dead.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(dead).toHaveLength(1);
    expect(text(dead[0]!.message.payload)).toBe("poison");
    expect(dead[0]!.reason).toBe("delivery-limit");
    expect(poisonSeen).toBeGreaterThanOrEqual(3);
  }, 90_000);

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
