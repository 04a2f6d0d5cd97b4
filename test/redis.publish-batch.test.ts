/**
 * Publishes issued in the same tick go to Redis as one publish-batch call: each still resolves with its own
 * entry id, in call order, and a refusal is reported per publish as "not stored".
 */
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { scripts } from "../src/transports/redis/scripts.js";
import { bytes, REDIS_URL, transportFactory, uniquePrefix } from "./redis-helpers.js";

const f = transportFactory();
const admin = new Redis(REDIS_URL);
const ownKeys: string[] = [];

afterAll(async () => {
  await f.cleanup();
  if (ownKeys.length > 0) await admin.del(...ownKeys);
  admin.disconnect();
});

const idOf = (fields: string[]): string =>
  (JSON.parse(fields[fields.indexOf("m") + 1] as string) as { id: string }).id;

describe("publishes coalesced into one call", () => {
  it("store every message once, in call order, each resolving with its own entry id (small and large mixed)", async () => {
    const t = f.create({ maxInFlight: 1000 });
    await t.connect();
    const big = Buffer.alloc(100 * 1024, 7); // goes as an XADD of its own, after those issued before it
    const receipts = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        t.publish("order", { id: `m-${i}`, payload: i === 300 ? big : bytes(`p${i}`) }),
      ),
    );
    expect(receipts.map((r) => r.id)).toEqual(Array.from({ length: 600 }, (_, i) => `m-${i}`));
    const entries = await admin.xrange(t.names.stream("order"), "-", "+");
    expect(entries.map(([, fields]) => idOf(fields))).toEqual(receipts.map((r) => r.id));
    expect(entries.map(([entryId]) => entryId)).toEqual(receipts.map((r) => r.position));
  });

  it("report a refusal for every publish of the call as not stored", async () => {
    const t = f.create();
    await t.connect();
    await t.publish("wrongtype", { payload: bytes("first") }); // the partition check passes once
    const stream = t.names.stream("wrongtype");
    await admin.del(stream);
    await admin.set(stream, "not a stream");
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => t.publish("wrongtype", { payload: bytes(`x${i}`) })),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: "publish-rejected",
        details: { sent: false },
      });
    }
    expect(await admin.type(stream)).toBe("string");
  });
});

describe("publish-batch script", () => {
  it("appends entries with any number of fields, in order, and returns their ids", async () => {
    const key = `${uniquePrefix()}:batch`;
    ownKeys.push(key);
    const reply = (await scripts.publishBatch.run(admin, [key], [2, "a", "1", 4, "b", "2", "c", "3"])) as [
      string[],
      string,
    ];
    expect(reply[1]).toBe("");
    const entries = await admin.xrange(key, "-", "+");
    expect(entries).toEqual([
      [reply[0][0], ["a", "1"]],
      [reply[0][1], ["b", "2", "c", "3"]],
    ]);
  });

  it("stops at the first refused XADD and says why", async () => {
    const key = `${uniquePrefix()}:not-a-stream`;
    ownKeys.push(key);
    await admin.set(key, "x");
    const [ids, error] = (await scripts.publishBatch.run(admin, [key], [2, "a", "1", 2, "b", "2"])) as [
      string[],
      string,
    ];
    expect(ids).toEqual([]);
    expect(error).toMatch(/^WRONGTYPE/);
  });
});
