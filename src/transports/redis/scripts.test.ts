import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { deleteKeys, REDIS_URL, uniquePrefix } from "../../../test/redis-helpers.js";
import { RedisKeyNames } from "./naming.js";
import { compareIds } from "./stream-id.js";
import { RedisScript, RedisScriptError, scripts, ScriptFailure } from "./scripts.js";

const prefix = uniquePrefix();
const names = new RedisKeyNames(prefix);
let r: Redis;
let n = 0;
const keysFor = () => names.partition(`t${n++}`, "g");

beforeAll(() => {
  r = new Redis(REDIS_URL);
});
afterAll(async () => {
  r.disconnect();
  await deleteKeys(prefix);
});

async function readOne(stream: string, consumer: string): Promise<string> {
  const reply = (await r.xreadgroup("GROUP", "g", consumer, "COUNT", 1, "STREAMS", stream, ">")) as [
    string,
    [string, string[]][],
  ][];
  return reply[0]![1][0]![0];
}

describe("lua scripts", () => {
  it("declare-group: first group starts at 0, later groups at $, existing groups untouched", async () => {
    const k = keysFor();
    await r.xadd(k.stream, "*", "a", "1"); // published before any group: retained for the first
    expect(await scripts.declareGroup.run(r, [k.stream], ["g", "auto"])).toBe(1);
    expect(await scripts.declareGroup.run(r, [k.stream], ["g", "auto"])).toBe(0);
    expect(await scripts.declareGroup.run(r, [k.stream], ["late", "auto"])).toBe(1);
    const groups = (await r.xinfo("GROUPS", k.stream)) as unknown[][];
    const lag = Object.fromEntries(groups.map((g) => [g[1], g[g.indexOf("lag") + 1]]));
    expect(lag).toEqual({ g: 1, late: 0 });
  });

  it("retry-entry and dead-letter-entry act only for the consumer holding the entry, atomically", async () => {
    const k = keysFor();
    await scripts.declareGroup.run(r, [k.stream], ["g", "auto"]);
    await scripts.declareGroup.run(r, [k.retry], ["g", "0"]);
    await r.xadd(k.stream, "*", "id", "m", "a", "1");
    const id = await readOne(k.stream, "c1");
    const notOwner = scripts.retryEntry.run(
      r,
      [k.stream, k.retry, k.delayed],
      ["g", "c2", id, 0, "tok", "0", "id", "m", "a", "2"],
    );
    await expect(notOwner).rejects.toBeInstanceOf(RedisScriptError);
    await expect(notOwner).rejects.toMatchObject({
      failure: ScriptFailure.NotOwner,
      code: "precondition-failed",
    });
    expect(await r.xlen(k.retry)).toBe(0);
    expect(
      await scripts.retryEntry.run(
        r,
        [k.stream, k.retry, k.delayed],
        ["g", "c1", id, 0, "tok", "0", "id", "m", "a", "2"],
      ),
    ).toBe(1);
    expect((await r.xpending(k.stream, "g"))[0]).toBe(0);
    const [[, fields]] = (await r.xrange(k.retry, "-", "+")) as [[string, string[]]];
    expect(fields).toEqual(["id", "m", "a", "2"]);
    // From the retry stream to the DLQ: acked and deleted there, added to the DLQ, once.
    const rid = await readOne(k.retry, "c1");
    const dl = await scripts.deadLetterEntry.run(
      r,
      [k.retry, k.dlq],
      ["g", "c1", rid, "1", 0, "id", "m", "reason", "x"],
    );
    expect(String(dl)).toMatch(/^\d+-\d+$/);
    await expect(
      scripts.deadLetterEntry.run(r, [k.retry, k.dlq], ["g", "c1", rid, "1", 0, "id", "m", "reason", "x"]),
    ).rejects.toBeInstanceOf(RedisScriptError);
    expect(await r.xlen(k.dlq)).toBe(1);
    expect(await r.xlen(k.retry)).toBe(0);
  });

  it("retry-entry with a delay parks the entry; promote-due moves it only when due", async () => {
    const k = keysFor();
    await scripts.declareGroup.run(r, [k.stream], ["g", "auto"]);
    await r.xadd(k.stream, "*", "p", Buffer.from([0, 255]));
    const id = await readOne(k.stream, "c1");
    await scripts.retryEntry.run(
      r,
      [k.stream, k.retry, k.delayed],
      ["g", "c1", id, 300, "tok", "0", "p", Buffer.from([0, 255])],
    );
    expect(await r.zcard(k.delayed)).toBe(1);
    const [moved, wait] = (await scripts.promoteDue.run(r, [k.delayed, k.retry], [10])) as [number, number];
    expect(moved).toBe(0);
    expect(wait).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, wait + 20));
    expect(await scripts.promoteDue.run(r, [k.delayed, k.retry], [10])).toEqual([1, -1]);
    const [[, fields]] = (await r.xrangeBuffer(k.retry, "-", "+")) as [[Buffer, Buffer[]]];
    expect(Array.from(fields[1]!)).toEqual([0, 255]); // binary payload intact through msgpack
  });

  it("trim-stream never trims past a group's oldest pending or unread entry", async () => {
    const k = keysFor();
    await scripts.declareGroup.run(r, [k.stream], ["g", "auto"]);
    for (let i = 0; i < 500; i++) await r.xadd(k.stream, "*", "i", String(i));
    // g has read nothing: nothing may be trimmed whatever the policy.
    expect(await scripts.trimStream.run(r, [k.stream], ["maxlen", 10])).toEqual([0, expect.any(String)]);
    // g reads 300 and acks all but the 150th: the floor is that entry.
    const reply = (await r.xreadgroup("GROUP", "g", "c", "COUNT", 300, "STREAMS", k.stream, ">")) as [
      string,
      [string, string[]][],
    ][];
    const ids = reply[0]![1].map((e) => e[0]);
    await r.xack(k.stream, "g", ...ids.filter((_, i) => i !== 150));
    const [trimmed, floor] = (await scripts.trimStream.run(r, [k.stream], ["maxlen", 10])) as [
      number,
      string,
    ];
    expect(floor).toBe(ids[150]);
    expect(trimmed).toBeLessThanOrEqual(150);
    const first = (await r.xrange(k.stream, "-", "+", "COUNT", 1))[0]![0];
    expect(compareIds(first, ids[150]!)).toBeLessThanOrEqual(0);
    expect((await r.xrange(k.stream, ids[150]!, ids[150]!)).length).toBe(1);
  });

  it("leases: one holder at a time, renewable, released only by the holder", async () => {
    const k = keysFor();
    expect(await scripts.acquireLease.run(r, [k.lease], ["a", 5000])).toBe(1);
    expect(await scripts.acquireLease.run(r, [k.lease], ["b", 5000])).toBe(0);
    expect(await scripts.acquireLease.run(r, [k.lease], ["a", 5000])).toBe(1);
    expect(await scripts.releaseLease.run(r, [k.lease], ["b"])).toBe(0);
    expect(await scripts.releaseLease.run(r, [k.lease], ["a"])).toBe(1);
    expect(await scripts.acquireLease.run(r, [k.lease], ["b", 5000])).toBe(1);
  });

  it("remove-idle-consumer keeps a consumer that holds entries", async () => {
    const k = keysFor();
    await scripts.declareGroup.run(r, [k.stream], ["g", "auto"]);
    await r.xadd(k.stream, "*", "a", "1");
    await readOne(k.stream, "busy");
    await r.xgroup("CREATECONSUMER", k.stream, "g", "idle");
    expect(await scripts.removeIdleConsumer.run(r, [k.stream], ["g", "busy", -1])).toBe(0);
    expect(await scripts.removeIdleConsumer.run(r, [k.stream], ["g", "idle", -1])).toBe(1);
    expect(await scripts.removeIdleConsumer.run(r, [k.stream], ["g", "idle", -1])).toBe(0);
  });

  it("touch-held resets the idle time of the consumer's own entries only, without counting a delivery", async () => {
    const k = keysFor();
    await scripts.declareGroup.run(r, [k.stream], ["g", "auto"]);
    await r.xadd(k.stream, "*", "a", "1");
    await r.xadd(k.stream, "*", "a", "2");
    const mine = await readOne(k.stream, "c1");
    const taken = await readOne(k.stream, "c1");
    // Another consumer took the second entry meanwhile (a reclaim): c1 must not take it back.
    await r.xclaim(k.stream, "g", "c2", 0, taken, "JUSTID");
    // Make both look long idle, as a stalled reclaim would see them.
    await r.xclaim(k.stream, "g", "c1", 0, mine, "IDLE", 600_000, "JUSTID");
    await r.xclaim(k.stream, "g", "c2", 0, taken, "IDLE", 600_000, "JUSTID");
    expect(await scripts.touchHeld.run(r, [k.stream], ["g", "c1", mine, taken])).toBe(1);
    const rows = (await r.xpending(k.stream, "g", "-", "+", 10)) as [string, string, number, number][];
    const byId = new Map(rows.map(([id, owner, idle, count]) => [id, { owner, idle, count }]));
    expect(byId.get(mine)).toMatchObject({ owner: "c1", count: 1 });
    expect(byId.get(mine)!.idle).toBeLessThan(600_000);
    expect(byId.get(taken)).toMatchObject({ owner: "c2" });
    expect(byId.get(taken)!.idle).toBeGreaterThanOrEqual(600_000);
  });

  it("falls back to EVAL when the server's script cache is empty", async () => {
    const k = keysFor();
    const other = new Redis(REDIS_URL);
    // SCRIPT FLUSH would disturb other users of the shared Redis; a new script SHA is never cached.
    const s = new RedisScript(
      "release-lease",
      `${scripts.releaseLease.lua}
-- ${prefix}`,
    );
    expect(await s.run(other, [k.lease], ["nobody"])).toBe(0);
    other.disconnect();
  });
});
