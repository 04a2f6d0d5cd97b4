import { describe, expect, it } from "vitest";
import { waitFor } from "../testing/mod.js";
import { Deadline, DeadlineSweep, Fifo, type Deadlined } from "./deadlines.js";

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
    await waitFor(() => expired.length >= 2, 5000, "a and c to expire");
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

describe("Deadline", () => {
  it("wakes its current waiter once, aborts its signal, and stays quiet once finished", async () => {
    const reason = new Error("late");
    const sweep = new DeadlineSweep<Deadline>((d) => d.abort(reason));
    const expiring = new Deadline(Date.now() + 20);
    const finished = new Deadline(Date.now() + 20);
    sweep.add(expiring, 20);
    sweep.add(finished, 20);
    const woken: string[] = [];
    expiring.onAbort(() => woken.push("replaced"));
    expiring.onAbort(() => woken.push("expiring"));
    finished.onAbort(() => woken.push("finished"));
    finished.finish();
    const signal = expiring.signal;
    await waitFor(() => expiring.aborted, 5000, "the deadline to pass");
    expect(woken).toEqual(["expiring"]);
    expect(expiring.aborted).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(finished.aborted).toBe(false);
    // A signal asked for after the abort is born aborted.
    expect(expiring.signal.aborted).toBe(true);
  });

  it("clear() drops every tracked operation and its timer", async () => {
    const expired: string[] = [];
    const sweep = new DeadlineSweep<Op>((o) => {
      o.done = true;
      expired.push(o.name);
    });
    sweep.add(op("cleared", 10), 10);
    sweep.clear();
    const later = op("added after clear", 30);
    sweep.add(later, 30);
    await waitFor(() => later.done, 5000, "the later operation to expire");
    // The sweep ran past the cleared operation's deadline and did not see it.
    expect(expired).toEqual(["added after clear"]);
  });
});
