import amqp from "amqplib";
import type { ChannelModel } from "amqplib";
import type { Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AMQP_URL } from "../../../test/support/amqp.js";
import { coalesceWrites } from "./coalesce-writes.js";

const models: ChannelModel[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.close().catch(() => undefined)));
});

/** Socket writes (each a system call on an idle socket) while `n` messages are published in one turn. */
async function socketWrites(coalesce: boolean, n: number): Promise<{ writes: number; frames: number }> {
  const model = await amqp.connect(AMQP_URL);
  models.push(model);
  if (coalesce) expect(coalesceWrites(model)).toBe(true);
  const socket = (model.connection as unknown as { stream: Socket & Record<string, unknown> }).stream;
  let writes = 0;
  let frames = 0;
  const write = socket["_write"] as (...args: unknown[]) => void;
  const writev = socket["_writev"] as (chunks: unknown[], cb: unknown) => void;
  socket["_write"] = function (this: Socket, ...args: unknown[]) {
    writes++;
    frames++;
    return write.apply(this, args);
  };
  socket["_writev"] = function (this: Socket, chunks: unknown[], cb: unknown) {
    writes++;
    frames += chunks.length;
    return writev.call(this, chunks, cb);
  };
  const ch = await model.createConfirmChannel();
  const queue = `coalesce-${randomBytes(4).toString("hex")}`;
  await ch.assertQueue(queue, { exclusive: true });
  writes = 0;
  frames = 0;
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
  await ch.waitForConfirms();
  expect(await ch.checkQueue(queue)).toMatchObject({ messageCount: n }); // all arrived, in one piece
  return { writes, frames };
}

describe("coalesceWrites against the real RabbitMQ", () => {
  it("sends one turn's frames in a handful of socket writes instead of one per frame", async () => {
    const plain = await socketWrites(false, 300);
    const coalesced = await socketWrites(true, 300);
    expect(plain.frames).toBeGreaterThanOrEqual(300);
    expect(plain.writes).toBeGreaterThanOrEqual(300); // amqplib alone: a write per frame
    expect(coalesced.frames).toBeGreaterThanOrEqual(300);
    expect(coalesced.writes).toBeLessThan(30);
    console.log(`300 publishes: ${plain.writes} socket writes plain, ${coalesced.writes} coalesced`);
  });
});

describe("coalesceWrites on internals that only look right", () => {
  it("refuses a muxer whose output has cork/uncork that do not cork, and warns once per process", () => {
    const warnings: string[] = [];
    const log = pino(
      { level: "warn" },
      { write: (line: string) => warnings.push((JSON.parse(line) as { reason: string }).reason) },
    );
    const fake = (out: object): ChannelModel =>
      ({ connection: { muxer: { _readIncoming: () => undefined, out } } }) as unknown as ChannelModel;
    // The shape of a stream, but corking changes nothing: patching would buy nothing, so it must not patch.
    const lookalike = { cork: () => undefined, uncork: () => undefined, writableCorked: 0 };
    expect(coalesceWrites(fake(lookalike), log)).toBe(false);
    expect(coalesceWrites(fake({}), log)).toBe(false);
    expect(warnings).toEqual(["corking amqplib's muxer output does not hold writes back"]);
    // A stream that really corks is accepted.
    let corked = 0;
    const real = {
      cork: () => void corked++,
      uncork: () => void corked--,
      get writableCorked() {
        return corked;
      },
    };
    expect(coalesceWrites(fake(real), log)).toBe(true);
    expect(corked).toBe(0);
  });
});
