/**
 * Message-driven sagas on the real brokers and PostgreSQL: steps are commands to other services (here,
 * routes in this process standing in for them) whose replies move the saga on; a reply that never comes
 * triggers the timeout (held on the broker) and the compensations, once; and a coordinator killed between
 * sending a command and getting its reply loses nothing: another coordinator finishes the instance.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../src/testing/mod.js";
import { Router } from "../src/core/router.js";
import type { Transport } from "../src/core/transport.js";
import {
  defineMessageSaga,
  ensureMessageSagaTable,
  replyToSaga,
  SagaCoordinator,
  type SagaEvent,
} from "../src/saga/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
const table = `mqa_msaga_${randomBytes(4).toString("hex")}`;
const fixture = new URL("./fixtures/saga-coordinator.mjs", import.meta.url).pathname;
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const f of cleanups) await f().catch(() => undefined);
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

interface Order {
  order: string;
  chargeId?: string;
  parcel?: string;
}

/** The saga the fixture runs too: charge (compensated by a refund), then ship. */
function orderSaga(base: string, shipTimeoutMs = 60_000) {
  return defineMessageSaga<Order>(`${base}-order`, [
    {
      name: "charge",
      command: { topic: `${base}.charge`, payload: (d) => ({ order: d.order }) },
      timeoutMs: 60_000,
      onReply: (value) => ({ chargeId: (value as { chargeId: string }).chargeId }),
      compensate: { topic: `${base}.refund`, payload: (d) => ({ chargeId: d.chargeId }) },
    },
    {
      name: "ship",
      command: { topic: `${base}.ship`, payload: (d) => ({ order: d.order }) },
      timeoutMs: shipTimeoutMs,
      onReply: (value) => ({ parcel: (value as { parcel: string }).parcel }),
    },
  ]);
}

interface Broker {
  name: string;
  url: string;
  transport(prefix: string): Transport;
  cleanup(prefix: string, base: string): Promise<void>;
}

const brokers: Broker[] = [
  {
    name: "Redis Streams",
    url: REDIS_URL,
    transport: (prefix) => createRedisTransport({ url: REDIS_URL, keyPrefix: prefix, claimIdleMs: 2000 }),
    cleanup: (prefix) => deleteKeys(prefix),
  },
  {
    name: "RabbitMQ",
    url: AMQP_URL,
    transport: () => createAmqpTransport({ url: AMQP_URL }),
    cleanup: (_prefix, base) =>
      deleteTopology(AMQP_URL, [
        { topic: `${base}-order.replies`, groups: ["saga-coordinator"] },
        { topic: `${base}-order.timeouts`, groups: ["saga-coordinator"] },
        { topic: `${base}.charge`, groups: ["payments"] },
        { topic: `${base}.refund`, groups: ["payments"] },
        { topic: `${base}.ship`, groups: ["shipping"] },
      ]),
  },
];

await ensureMessageSagaTable(pool, table);

describe.each(brokers)("message-driven sagas on $name", (broker) => {
  it("moves on with each reply, and a reply that never comes times out and compensates once", async () => {
    const prefix = uniquePrefix();
    const base = `msaga-${randomBytes(4).toString("hex")}`;
    cleanups.push(() => broker.cleanup(prefix, base));
    const transport = broker.transport(prefix);
    const events: SagaEvent[] = [];
    const coordinator = new SagaCoordinator(orderSaga(base, 1500), {
      publisher: transport,
      pool,
      table,
      onEvent: (e) => events.push(e),
    });
    const refunds: unknown[] = [];
    const shipped: string[] = [];
    const router = new Router(transport);
    coordinator.routes(router);
    router.handle({
      topic: `${base}.charge`,
      group: "payments",
      handler: async (p, ctx) =>
        replyToSaga(ctx, { ok: true, value: { chargeId: `ch-${(p as { order: string }).order}` } }),
    });
    router.handle({ topic: `${base}.refund`, group: "payments", handler: (p) => void refunds.push(p) });
    // Shipping answers order A and stays silent on order B.
    router.handle({
      topic: `${base}.ship`,
      group: "shipping",
      handler: async (p, ctx) => {
        const order = (p as { order: string }).order;
        shipped.push(order);
        if (order === "A") await replyToSaga(ctx, { ok: true, value: { parcel: "P-A" } });
      },
    });
    await router.start();
    try {
      await coordinator.start(`${base}-A`, { order: "A" });
      await coordinator.start(`${base}-B`, { order: "B" });
      // Starting an id again changes nothing.
      expect((await coordinator.start(`${base}-A`, { order: "A" })).id).toBe(`${base}-A`);

      await waitFor(async () => (await coordinator.state(`${base}-A`))?.status === "completed", 20_000);
      expect(await coordinator.state(`${base}-A`)).toMatchObject({
        status: "completed",
        step: 2,
        data: { order: "A", chargeId: "ch-A", parcel: "P-A" },
        error: null,
      });

      await waitFor(async () => (await coordinator.state(`${base}-B`))?.status === "compensated", 30_000);
      const b = await coordinator.state(`${base}-B`);
      expect(b).toMatchObject({ status: "compensated", step: 1, data: { chargeId: "ch-B" } });
      expect(b!.error).toBe("ship: no reply within 1500 ms");
      await waitFor(() => refunds.length === 1, 10_000);
      expect(refunds).toEqual([{ chargeId: "ch-B" }]);
      const ofB = events.filter((e) => e.sagaId === `${base}-B`).map((e) => e.type);
      expect(ofB).toEqual([
        "command-sent",
        "step-completed",
        "command-sent",
        "step-failed",
        "compensation-sent",
        "compensated",
      ]);

      // A reply that comes after the timeout is acknowledged and ignored: nothing moves, nothing is refunded again.
      const late = await transport.publish(`${base}-order.replies`, {
        payload: new TextEncoder().encode(JSON.stringify({ ok: true, value: { parcel: "late" } })),
        contentType: "application/json",
        correlationId: `${base}-B`,
        headers: { "x-mqa-saga-token": `${base}-B/1/ship` },
      });
      expect(late.id).toBeTruthy();
      await waitFor(() => events.some((e) => e.type === "ignored" && e.sagaId === `${base}-B`), 10_000);
      expect((await coordinator.state(`${base}-B`))?.status).toBe("compensated");
      expect(refunds).toHaveLength(1);
      expect(shipped.sort()).toEqual(["A", "B"]);
    } finally {
      await router.stop();
      await transport.close();
    }
  }, 60_000);

  it("survives its coordinator being killed between sending a command and getting the reply", async () => {
    const prefix = uniquePrefix();
    const base = `msaga-${randomBytes(4).toString("hex")}`;
    const id = `${base}-K`;
    cleanups.push(() => broker.cleanup(prefix, base));
    const transport = broker.transport(prefix);
    // The payment service: takes the command, and replies only once the coordinator that sent it is dead.
    let held: (() => Promise<void>) | undefined;
    const service = new Router(transport);
    service.handle({
      topic: `${base}.charge`,
      group: "payments",
      handler: (_p, ctx) =>
        new Promise<void>((resolve) => {
          held = () => replyToSaga(ctx, { ok: true, value: { chargeId: "ch-K" } }).then(resolve);
        }),
      handlerTimeoutMs: false,
    });
    const shipped: string[] = [];
    service.handle({
      topic: `${base}.ship`,
      group: "shipping",
      handler: async (p, ctx) => {
        shipped.push((p as { order: string }).order);
        await replyToSaga(ctx, { ok: true, value: { parcel: "P-K" } });
      },
    });
    await service.start();
    // The saga's topics must exist before the coordinator's first command goes out.
    const child = spawn(process.execPath, [fixture, broker.url, prefix, PG_URL, table, base, id], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let successor: Router | undefined;
    try {
      await waitFor(
        () => out.includes(`started ${id}`) && held !== undefined,
        30_000,
        `the child to start: ${err}`,
      );
      expect((await pool.query(`SELECT status, step FROM ${table} WHERE id = $1`, [id])).rows[0]).toEqual({
        status: "waiting",
        step: 0,
      });
      child.kill("SIGKILL");
      await exited;
      children.delete(child);
      await held!(); // the reply goes out with no coordinator alive

      const events: SagaEvent[] = [];
      const coordinator = new SagaCoordinator(orderSaga(base), {
        publisher: transport,
        pool,
        table,
        onEvent: (e) => events.push(e),
      });
      successor = new Router(transport);
      coordinator.routes(successor);
      await successor.start();
      await waitFor(async () => (await coordinator.state(id))?.status === "completed", 30_000);
      expect(await coordinator.state(id)).toMatchObject({
        status: "completed",
        data: { order: id, chargeId: "ch-K", parcel: "P-K" },
      });
      expect(shipped).toEqual([id]);
      expect(
        events.filter((e) => e.type === "step-completed").map((e) => e.type === "step-completed" && e.step),
      ).toEqual(["charge", "ship"]);
    } finally {
      await successor?.stop();
      await service.stop();
      await transport.close();
    }
  }, 90_000);
});
