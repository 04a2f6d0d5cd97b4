/**
 * What every conformance case shares: unique names, the transports it opened (closed after the suite),
 * and the topics and groups it declared (handed to the target's cleanup).
 */
import { randomUUID } from "node:crypto";
import { it } from "vitest";
import type { Transport, TransportFeatures } from "../../core/transport.js";
import { waitFor } from "../mod.js";
import type { ConformanceTarget } from "./target.js";

export interface SuiteContext {
  readonly target: ConformanceTarget;
  /** How long to wait for something the broker must do. */
  readonly patience: number;
  /**
   * The target's features when known before any test runs (a target whose `create()` is synchronous);
   * cases whose feature is absent are then not registered at all.
   */
  readonly features: TransportFeatures | undefined;
  /** A name no other run uses: `conf.<target>.<what>.<random>`. */
  unique(what: string): string;
  /** A connected transport; closed after the suite, its declarations recorded for cleanup. */
  transport(): Promise<Transport>;
  /** The same, not yet connected (for cases about connecting itself). */
  unconnected(): Promise<Transport>;
  /** Record a declaration made behind the recording wrapper (a transport the case built itself). */
  record(topic: string, group: string): void;
  /** Register a transport the case built itself, so the suite closes it. */
  adopt(t: Transport): Transport;
  /** Run `teardown` at the end of the suite, after every transport is closed (e.g. stop a fault proxy). */
  onFinish(teardown: () => Promise<void>): void;
}

/** The context plus what only the suite's own hooks call. */
export interface SuiteLifecycle extends SuiteContext {
  /** Close every transport (then run the target's cleanup with everything declared). */
  finish(): Promise<void>;
}

export function createSuiteContext(target: ConformanceTarget): SuiteLifecycle {
  const open: Transport[] = [];
  const teardowns: Array<() => Promise<void>> = [];
  const declared = new Map<string, Set<string>>();
  const record = (topic: string, group: string): void => {
    const groups = declared.get(topic) ?? new Set<string>();
    groups.add(group);
    declared.set(topic, groups);
  };
  const adopt = (t: Transport): Transport => {
    // Record every declaration (direct or through a Router) for the target's cleanup.
    const declare = t.declare.bind(t);
    const subscribe = t.subscribe.bind(t);
    t.declare = (d) => (record(d.topic, d.group), declare(d));
    t.subscribe = (topic, group, handler, options) => (
      record(topic, group),
      subscribe(topic, group, handler, options)
    );
    open.push(t);
    return t;
  };
  const unconnected = async (): Promise<Transport> => adopt(await target.create());
  return {
    target,
    patience: target.patienceMs ?? 15_000,
    features: probeFeatures(target),
    unique: (what) => `conf.${target.name}.${what}.${randomUUID().slice(0, 8)}`,
    unconnected,
    async transport() {
      const t = await unconnected();
      await t.connect();
      return t;
    },
    record,
    adopt,
    onFinish: (teardown) => void teardowns.push(teardown),
    async finish() {
      const closing = open.map((t) => t.close({ timeoutMs: 2000 }).catch(() => undefined));
      const slow = await Promise.race([
        Promise.all(closing).then(() => false),
        pause(10_000).then(() => true),
      ]);
      // A close that never returns is a transport bug; abort so the other teardown still runs, and say so.
      if (slow) {
        const states = open.map((t) => t.state.status).join(", ");
        await Promise.all(open.map((t) => t.abort().catch(() => undefined)));
        console.error(`conformance ${target.name}: close() did not return within 10 s (states: ${states})`);
      }
      for (const teardown of teardowns) await teardown();
      await target.cleanup?.([...declared].map(([topic, groups]) => ({ topic, groups: [...groups] })));
    },
  };
}

/** Features of a transport made and never connected, when `create()` answers synchronously. */
function probeFeatures(target: ConformanceTarget): TransportFeatures | undefined {
  const made = target.create();
  if (made instanceof Promise) {
    void made.then((t) => t.abort()).catch(() => undefined);
    return undefined;
  }
  return { ...made.features };
}

/**
 * Register `name` only when `wanted(features)` holds. With features unknown before the run, the case is
 * registered and skips itself at run time (through `needs`) when the transport it made lacks the feature.
 */
export function featureCase(
  ctx: SuiteContext,
  wanted: (f: TransportFeatures) => boolean,
  name: string,
  run: (needs: (t: Transport) => void) => Promise<void>,
  timeoutMs?: number,
): void {
  if (ctx.features !== undefined && !wanted(ctx.features)) return;
  it(
    name,
    async (c) =>
      run((t) => {
        if (!wanted(t.features)) c.skip();
      }),
    timeoutMs,
  );
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** JSON bytes of `v`. */
export const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
/** The value JSON-encoded in `b`. */
export const parse = <T>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T;
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** Resolve after `ms` (for pacing work, never to prove that nothing happened). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Publish a sentinel to `topic` after everything else and wait until `seen(id)` reports it: whatever
 * the broker was going to deliver before it has been delivered by then (the proof of "nothing more",
 * instead of a sleep).
 */
export async function sentinel(
  ctx: SuiteContext,
  t: Transport,
  topic: string,
  seen: (id: string) => boolean,
): Promise<string> {
  const id = `sentinel-${randomUUID().slice(0, 8)}`;
  await t.publish(topic, { id, payload: json("sentinel") });
  await waitFor(() => seen(id), ctx.patience, `the sentinel ${id} on ${topic}`);
  return id;
}

export { waitFor };
