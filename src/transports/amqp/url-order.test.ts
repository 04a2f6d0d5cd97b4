import { describe, expect, it } from "vitest";
import { connectOrder } from "./url-order.js";

const urls = ["amqp://a", "amqp://b", "amqp://c"];

/** A fixed sequence of "random" numbers, so a shuffle is reproducible. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("connectOrder", () => {
  it("keeps the given order with as-given", () => {
    expect(connectOrder(urls, "as-given")).toEqual(urls);
  });

  it("moves the node of a lost connection to the end, in either mode", () => {
    expect(connectOrder(urls, "as-given", "amqp://a")).toEqual(["amqp://b", "amqp://c", "amqp://a"]);
    const shuffled = connectOrder(urls, "shuffle", "amqp://b", sequence(0.99, 0.99));
    expect(shuffled.at(-1)).toBe("amqp://b");
    expect([...shuffled].sort()).toEqual(urls);
  });

  it("shuffles with the random source it is given (Fisher–Yates)", () => {
    // i=2: j=floor(0*3)=0 → swap c,a: [c,b,a]; i=1: j=floor(0*2)=0 → swap b,c: [b,c,a]
    expect(connectOrder(urls, "shuffle", undefined, sequence(0, 0))).toEqual([
      "amqp://b",
      "amqp://c",
      "amqp://a",
    ]);
    expect(connectOrder(urls, "shuffle", undefined, sequence(0.99, 0.99))).toEqual(urls);
  });

  it("puts every node first about equally often", () => {
    const first = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const u = connectOrder(urls, "shuffle")[0]!;
      first.set(u, (first.get(u) ?? 0) + 1);
    }
    for (const u of urls) expect(first.get(u)).toBeGreaterThan(800);
  });

  it("leaves one URL and an unknown lastUsed alone", () => {
    expect(connectOrder(["amqp://a"], "shuffle", "amqp://a")).toEqual(["amqp://a"]);
    expect(connectOrder(urls, "as-given", "amqp://z")).toEqual(urls);
  });
});
