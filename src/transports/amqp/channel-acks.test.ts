/**
 * Which acks go on the wire (one `multiple` ack vs singles) cannot be observed from the broker, so this
 * uses a recording channel; the broker-facing behaviour is covered in transport.test.ts.
 */
import type { Channel, ConsumeMessage } from "amqplib";
import { describe, expect, it } from "vitest";
import { type AckStats, ChannelAcks } from "./channel-acks.js";

function recorder(): { channel: Channel; sent: string[] } {
  const sent: string[] = [];
  const channel = {
    ack: (m: ConsumeMessage, multiple?: boolean) =>
      sent.push(`ack ${m.fields.deliveryTag}${multiple ? " multiple" : ""}`),
    reject: (m: ConsumeMessage, requeue?: boolean) =>
      sent.push(`reject ${m.fields.deliveryTag} ${String(requeue)}`),
  } as unknown as Channel;
  return { channel, sent };
}
const msg = (tag: number): ConsumeMessage => ({ fields: { deliveryTag: tag } }) as unknown as ConsumeMessage;
const stats = (): AckStats => ({ acked: 0, requeued: 0, discarded: 0, staleSettlements: 0 });

describe("ChannelAcks", () => {
  it("covers only the run of finished deliveries with one multiple ack", () => {
    const { channel, sent } = recorder();
    const s = stats();
    const acks = new ChannelAcks(channel, { size: 100, ms: 1000 }, s);
    const m = [1, 2, 3, 4, 5].map(msg);
    m.forEach((x) => acks.received(x));
    for (const i of [0, 1, 3]) acks.ack(m[i]!); // 3 (index 2) still running
    acks.flush();
    expect(sent).toEqual(["ack 2 multiple", "ack 4"]);
    acks.ack(m[2]!);
    acks.ack(m[4]!);
    acks.flush();
    expect(sent.slice(2)).toEqual(["ack 5 multiple"]);
    expect(s.acked).toBe(5);
    expect(acks.pending).toBe(0);
  });

  it("flushes when the batch is full, rejects singly, and drops everything once the channel is dead", () => {
    const { channel, sent } = recorder();
    const s = stats();
    const acks = new ChannelAcks(channel, { size: 2, ms: 1000 }, s);
    [1, 2, 3, 4, 5].map(msg).forEach((x) => acks.received(x));
    acks.ack(msg(1));
    expect(sent).toEqual([]);
    acks.ack(msg(2));
    expect(sent).toEqual(["ack 2 multiple"]);
    acks.requeue(msg(3));
    expect(sent.at(-1)).toBe("reject 3 true");
    acks.discard(msg(5)); // a dead letter with no dead-letter queue: rejected without requeue
    expect(sent.at(-1)).toBe("reject 5 false");
    acks.markDead();
    expect(acks.ack(msg(4))).toBe(false);
    expect(sent).toHaveLength(3);
    expect(s).toEqual({ acked: 2, requeued: 1, discarded: 1, staleSettlements: 1 });
  });
});
