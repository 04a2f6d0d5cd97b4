/** Sagas against the real PostgreSQL: completion, compensation in reverse, retries, resumption after a crash. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { defineSaga, ensureSagaTable, SagaRunner, type SagaStep } from "../src/saga/saga.js";

const PG_URL = process.env["MQA_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
const table = `mqa_sagas_${randomBytes(4).toString("hex")}`;
const fast = { baseMs: 5, maxMs: 20 };
let tableReady: Promise<void> | undefined;
const runner = async (options: { leaseMs?: number } = {}): Promise<SagaRunner> => {
  await (tableReady ??= ensureSagaTable(pool, table));
  return new SagaRunner({ db: pool, table, retry: fast, ...options });
};
const uid = (): string => `order-${randomBytes(4).toString("hex")}`;

afterAll(async () => {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
});

interface Order {
  orderId: string;
  reservation?: string;
  chargeId?: string;
}

/** Steps that record what they did in `log`; `failing` names a step that always throws. */
function orderSteps(log: string[], failing?: string): SagaStep<Order>[] {
  const maybeFail = (name: string): void => {
    if (name === failing) throw new Error(`${name} refused`);
  };
  return [
    {
      name: "reserve-stock",
      run: async (d) => (
        log.push(`reserve ${d.orderId}`),
        maybeFail("reserve-stock"),
        { reservation: `r-${d.orderId}` }
      ),
      compensate: async (d) => void log.push(`release ${d.reservation}`),
    },
    { name: "notify-warehouse", run: async () => void log.push("notify") }, // nothing to undo
    {
      name: "charge-card",
      attempts: 2,
      run: async (d) => (log.push(`charge ${d.orderId}`), maybeFail("charge-card"), { chargeId: "c-1" }),
      compensate: async (d) => void log.push(`refund ${d.chargeId}`),
    },
    { name: "ship", run: async () => (log.push("ship"), maybeFail("ship")) },
  ];
}

describe("sagas (PostgreSQL)", () => {
  it("runs every step in order, keeping what steps return, and ends completed", async () => {
    const log: string[] = [];
    const saga = defineSaga<Order>("place-order", orderSteps(log));
    const id = uid();
    const end = await (await runner()).start(saga, id, { orderId: id });
    expect(end).toMatchObject({ status: "completed", step: 4, error: null });
    expect(end.data).toEqual({ orderId: id, reservation: `r-${id}`, chargeId: "c-1" });
    expect(log).toEqual([`reserve ${id}`, "notify", `charge ${id}`, "ship"]);
  });

  it("undoes the completed steps in reverse order when a step fails for good", async () => {
    const log: string[] = [];
    const saga = defineSaga<Order>("place-order", orderSteps(log, "ship"));
    const id = uid();
    const end = await (await runner()).start(saga, id, { orderId: id });
    expect(end.status).toBe("compensated");
    expect(end.error).toBe("ship: ship refused");
    // ship was tried 3 times (its default), then refund and release; notify had nothing to undo.
    expect(log).toEqual([
      `reserve ${id}`,
      "notify",
      `charge ${id}`,
      "ship",
      "ship",
      "ship",
      "refund c-1",
      `release r-${id}`,
    ]);
  });

  it("retries a step before giving up, and hands each try its attempt number", async () => {
    const attempts: number[] = [];
    const saga = defineSaga<{ n: number }>("flaky", [
      {
        name: "call-partner",
        attempts: 3,
        run: async (_d, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error("503 from partner");
        },
      },
    ]);
    expect((await (await runner()).start(saga, uid(), { n: 1 })).status).toBe("completed");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("is resumed by another coordinator when the first one dies mid-step, and the dead one cannot write", async () => {
    let release: () => void = () => undefined;
    let hang = true;
    const runs: string[] = [];
    const saga = defineSaga<{ v: number }>("resumable", [
      { name: "one", run: async () => void runs.push("one") },
      {
        name: "two",
        run: async (_d, ctx) => {
          runs.push(`two by ${ctx.attempt}`);
          if (hang) await new Promise<void>((r) => (release = r)); // the first coordinator "dies" here
        },
      },
      { name: "three", run: async () => void runs.push("three") },
    ]);
    const id = uid();
    const first = await runner({ leaseMs: 1000 });
    const abandoned = first.start(saga, id, { v: 1 });
    await expect.poll(async () => (await first.state(id))?.step, { timeout: 5000 }).toBe(1);
    hang = false;
    const second = await runner({ leaseMs: 1000 });
    expect(await second.resume(saga)).toEqual([]); // lease still valid: not taken
    // Once the first lease runs out (1 s; later on a loaded machine) the second coordinator takes over.
    let resumed: unknown;
    await expect
      .poll(
        async () => {
          [resumed] = await second.resume(saga);
          return resumed !== undefined;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(true);
    expect(resumed).toMatchObject({ id, status: "completed", step: 3 });
    expect(runs).toEqual(["one", "two by 1", "two by 1", "three"]); // step two ran again: steps must be idempotent
    release();
    await expect(abandoned).rejects.toThrow(/lost the lease/);
    expect((await second.state(id))?.status).toBe("completed");
  });

  it("keepResuming finishes what a dead coordinator left, without a call to resume", async () => {
    let hang = true;
    const runs: string[] = [];
    const saga = defineSaga<{ v: number }>("self-healing", [
      {
        name: "one",
        run: async () => {
          runs.push("one");
          if (hang) await new Promise<void>(() => undefined); // the first coordinator "dies" here
        },
      },
      { name: "two", run: async () => void runs.push("two") },
    ]);
    const id = uid();
    const first = await runner({ leaseMs: 500 });
    void first.start(saga, id, { v: 1 }).catch(() => undefined);
    await expect.poll(() => runs.length, { timeout: 5000 }).toBe(1);
    hang = false;
    const second = await runner({ leaseMs: 500 });
    const stop = second.keepResuming(saga, { everyMs: 100 });
    try {
      await expect.poll(async () => (await second.state(id))?.status, { timeout: 10_000 }).toBe("completed");
      expect(runs).toEqual(["one", "one", "two"]);
    } finally {
      await stop();
    }
  });

  it("stops as failed, with both errors, when a compensation fails for good", async () => {
    const saga = defineSaga<object>("stuck", [
      {
        name: "debit",
        run: async () => undefined,
        compensate: async () => Promise.reject(new Error("ledger down")),
      },
      { name: "credit", run: async () => Promise.reject(new Error("account closed")) },
    ]);
    const end = await (await runner()).start(saga, uid(), {});
    expect(end.status).toBe("failed");
    expect(end.error).toBe("credit: account closed; compensating debit failed: ledger down");
  });

  it("does not run an instance twice when started twice with the same id", async () => {
    let runs = 0;
    const saga = defineSaga<object>("once", [{ name: "only", run: async () => void runs++ }]);
    const r = await runner();
    const id = uid();
    await r.start(saga, id, {});
    expect(await r.start(saga, id, {})).toMatchObject({ status: "completed" });
    expect(runs).toBe(1);
  });

  it("rejects a saga without steps or with two steps of one name", () => {
    expect(() => defineSaga("empty", [])).toThrow(/at least one step/);
    const s = { name: "a", run: async () => undefined };
    expect(() => defineSaga("dup", [s, s])).toThrow(/two steps named 'a'/);
  });
});
