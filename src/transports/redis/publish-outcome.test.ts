/**
 * Publishes in flight when Redis dies are labelled truthfully: reconciled by message id against what the
 * restarted server (AOF, appendfsync always) holds, a resolved publish is stored, a publish rejected as not
 * sent is not, and none ends as `publish-rejected` ("Redis refused it") — those in flight are re-sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { MqaError } from "../../core/errors.js";
import { FaultProxy, RedisServerProcess } from "../../testing/mod.js";
import { createRedisTransport } from "./mod.js";

let server: RedisServerProcess;
beforeAll(async () => {
  server = await RedisServerProcess.start();
});
afterAll(() => server.dispose());

type Ending = "stored" | { code: string; sent: unknown };

/** One round: publish continuously, kill the server mid-burst, restart it, wait for every publish to end. */
async function killMidBurst(
  round: number,
): Promise<{ endings: Map<string, Ending>; stored: string[]; resent: number }> {
  const t = createRedisTransport({
    url: server.url,
    publishTimeoutMs: 20_000,
    maxQueuedPublishes: 100_000,
    reconnect: { baseMs: 20, maxMs: 200, multiplier: 2 },
  });
  await t.connect();
  const topic = `burst-${round}`;
  const endings = new Map<string, Ending>();
  const all: Promise<void>[] = [];
  let killed = false;
  const kill = new Promise<void>((resolve) => {
    setTimeout(() => void server.kill().then(() => ((killed = true), resolve())), 150 + 40 * round);
  });
  for (let i = 0; !killed;) {
    for (let j = 0; j < 50; j++, i++) {
      const id = `${topic}-${i}`;
      all.push(
        t.publish(topic, { id, payload: new Uint8Array(1024) }).then(
          () => void endings.set(id, "stored"),
          (err: unknown) => {
            if (!MqaError.is(err)) throw err;
            endings.set(id, { code: err.code, sent: err.details?.sent });
          },
        ),
      );
    }
    await new Promise((r) => setImmediate(r));
  }
  await kill;
  await server.restart();
  await Promise.all(all);
  const r = new Redis(server.url);
  try {
    const entries = await r.xrange(t.names.stream(topic), "-", "+");
    const stored = entries.map(([, f]) => (JSON.parse(f[f.indexOf("m") + 1]!) as { id: string }).id);
    return { endings, stored, resent: t.stats.resentPublishes };
  } finally {
    r.disconnect();
    await t.close({ timeoutMs: 1_000 });
  }
}

describe("redis publishes in flight when the server dies", () => {
  it("are re-sent, never reported as refused, and every outcome matches what Redis stored", async () => {
    let roundsWithResends = 0;
    for (let round = 0; round < 6 && roundsWithResends < 2; round++) {
      const { endings, stored, resent } = await killMidBurst(round);
      const storedIds = new Set(stored);
      for (const [id, ending] of endings) {
        if (ending === "stored") {
          expect(storedIds.has(id), `${id} resolved but is not in Redis`).toBe(true);
          continue;
        }
        expect(ending.code, `${id} was in flight, not refused`).not.toBe("publish-rejected");
        if (ending.sent === false) expect(storedIds.has(id), `${id} "not sent" but stored`).toBe(false);
      }
      // Every id stored is one this round published; a second copy only ever comes from a counted re-send.
      for (const id of storedIds) expect(endings.has(id)).toBe(true);
      expect(stored.length - storedIds.size).toBeLessThanOrEqual(resent);
      if (resent > 0) roundsWithResends++;
    }
    // The kill landed with XADDs on the wire (and their pipelines half answered) in at least two rounds.
    expect(roundsWithResends).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("an XADD on the wire when the transport is aborted ends as connection-closed with sent: true", async () => {
    const proxy = new FaultProxy({ targetPort: server.port });
    await proxy.start();
    const t = createRedisTransport({ url: `redis://127.0.0.1:${proxy.port}` });
    try {
      await t.publish("aborted", { payload: new Uint8Array(8) }); // the topic's partition check is done
      proxy.stall(); // written, never answered
      const ending = t.publish("aborted", { id: "on-the-wire", payload: new Uint8Array(8) }).catch((e) => e);
      await new Promise((r) => setImmediate(r)); // the auto-pipeline flushes it onto the socket
      await t.abort();
      expect(await ending).toMatchObject({ code: "connection-closed", details: { sent: true } });
    } finally {
      proxy.unstall();
      await proxy.stop();
    }
  });
});
