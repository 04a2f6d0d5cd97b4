import { describe, expect, it } from "vitest";
import { DeadlineSweep, Fifo, type Deadlined } from "./deadlines.js";

interface Op extends Deadlined {
  readonly name: string;
}

const op = (name: string, timeoutMs: number): Op => ({ name, deadline: Date.now() + timeoutMs, done: false });

describe("DeadlineSweep", () => {
  it("expires each unfinished operation once, never a finished one, across timeout lengths", async () => {
    const expired: string[] = [];
    const sweep = new DeadlineSweep<Op>((o) => {
      o.done = true;
      expired.push(o.name);
    });
    const a = op("a", 30);
    const b = op("b", 30);
    const c = op("c", 5);
    const keep = op("keep", 60_000);
    sweep.add(a, 30);
    sweep.add(b, 30);
    sweep.add(c, 5);
    sweep.add(keep, 60_000);
    b.done = true; // settled before its deadline
    await new Promise((r) => setTimeout(r, 120));
    expect(expired.sort()).toEqual(["a", "c"]);
    sweep.expireAll();
    expect(expired.sort()).toEqual(["a", "c", "keep"]);
    sweep.expireAll();
    expect(expired).toHaveLength(3);
  });
});

describe("Fifo", () => {
  it("keeps order across compaction", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const out: number[] = [];
    for (let i = 0; i < 3000; i++) {
      out.push(q.peek()!);
      q.pop();
    }
    q.push(5000);
    expect(out[2999]).toBe(2999);
    expect(q.size).toBe(2001);
    expect(q.peek()).toBe(3000);
  });
});
