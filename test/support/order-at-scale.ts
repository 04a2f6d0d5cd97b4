/**
 * The order-at-scale run of issue 14: messages over many keys published in rounds (round i carries message i
 * of every key, so each key's messages are published in order), handled by consumers that join and leave
 * while it runs, each a router with `order: "per-key"` on a transport of its own. It records every handling
 * of every key, so the test can check each key's sequence is exactly 0, 1, 2, … (in order, none lost, none
 * twice), and how many messages each consumer handled. With MQA_ORDER_SCALE_TRACE=1 it prints every handling
 * (key:value:consumer:attempt:id) of the first key found out of order, to see where a handover went wrong.
 */
import { Router } from "../../src/core/router.js";
import type { Transport } from "../../src/core/transport.js";
import { waitFor } from "../../src/testing/mod.js";

export interface ScaleRun {
  /** Each key's sequence numbers in the order they were handled, whichever consumer handled them. */
  sequences: Map<string, number[]>;
  /** Messages handled per consumer (`c0`, `c1`, …, in the order they joined). */
  handledBy: Map<string, number>;
  published: number;
  /** What happened when, as handled-message counts: `c1 joined at 5000`. */
  events: string[];
  elapsedMs: number;
}

export interface ScaleOptions {
  topic: string;
  group: string;
  keys: number;
  perKey: number;
  prefetch: number;
  /** A new transport (not connected yet) for each consumer. */
  transport: () => Transport;
  timeoutMs: number;
}

/**
 * Consumers over the run, by share of messages published: c0 from the start, c1 joins at 20 %, c0 leaves at
 * 40 %, c2 joins at 55 %, c1 leaves at 70 %; c2 finishes. Each change is made while its round is published and
 * delivered, so handovers happen with messages in flight, and whatever the timing, the rounds after c0 left
 * (at least 60 %) are handled by the others.
 */
const PLAN: readonly { at: number; join?: string; leave?: string }[] = [
  { at: 0.2, join: "c1" },
  { at: 0.4, leave: "c0" },
  { at: 0.55, join: "c2" },
  { at: 0.7, leave: "c1" },
];

export async function runOrderAtScale(o: ScaleOptions): Promise<ScaleRun> {
  const started = Date.now();
  const total = o.keys * o.perKey;
  const sequences = new Map<string, number[]>();
  const handledBy = new Map<string, number>();
  const events: string[] = [];
  let handled = 0;
  /** Messages handled at least once (a redelivery after a handover counts in `handled` again, not here). */
  const distinct = new Set<string>();
  const trace: string[] = [];
  const consumers = new Map<string, { router: Router; transport: Transport }>();
  const join = async (name: string): Promise<void> => {
    const transport = o.transport();
    await transport.connect();
    const router = new Router(transport);
    router.handle({
      topic: o.topic,
      group: o.group,
      prefetch: o.prefetch,
      order: "per-key",
      handler: async (body, ctx) => {
        const i = body as number;
        const key = ctx.message.key!;
        let seq = sequences.get(key);
        if (seq === undefined) sequences.set(key, (seq = []));
        seq.push(i);
        if (process.env.MQA_ORDER_SCALE_TRACE)
          trace.push(`${key}:${i}:${name}:a${ctx.message.attempt}:${ctx.message.id.slice(-6)}`);
        handledBy.set(name, (handledBy.get(name) ?? 0) + 1);
        handled++;
        distinct.add(`${key}\u0000${i}`);
        // Yield once, so a key's next message could overtake this one if nothing serialized them.
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
    await router.start();
    consumers.set(name, { router, transport });
    events.push(`${name} joined at ${handled}`);
  };
  const leave = async (name: string): Promise<void> => {
    const c = consumers.get(name)!;
    consumers.delete(name);
    await c.router.stop({ timeoutMs: 10_000 });
    await c.transport.close();
    events.push(`${name} left at ${handled}`);
  };

  const publisher = o.transport();
  await publisher.connect();
  await publisher.declare({ topic: o.topic, group: o.group });
  await join("c0");
  let published = 0;
  const steps = PLAN.map((step) => ({ ...step, round: Math.floor(step.at * o.perKey) }));
  try {
    for (let i = 0; i < o.perKey; i++) {
      // The round's change runs while the round is published and delivered: a consumer leaves mid-flow.
      const change = (async () => {
        for (const step of steps.filter((x) => x.round === i)) {
          if (step.join) await join(step.join);
          if (step.leave) await leave(step.leave);
        }
      })();
      const round: Promise<unknown>[] = [change];
      for (let k = 0; k < o.keys; k++)
        round.push(
          publisher.publish(o.topic, {
            key: `key-${k}`,
            contentType: "application/json",
            payload: new TextEncoder().encode(String(i)),
          }),
        );
      await Promise.all(round);
      published += o.keys;
    }
    await waitFor(() => distinct.size >= total, o.timeoutMs, "every message handled");
  } finally {
    for (const name of [...consumers.keys()]) await leave(name);
    await publisher.close();
  }
  if (process.env.MQA_ORDER_SCALE_TRACE) {
    const bad = [...sequences].find(([, seq]) => seq.some((v, j) => v !== j));
    if (bad) console.log(trace.filter((t) => t.startsWith(`${bad[0]}:`)).join("\n"));
  }
  return { sequences, handledBy, published, events, elapsedMs: Date.now() - started };
}
