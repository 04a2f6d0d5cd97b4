import type { ChannelModel } from "amqplib";
import { describe, expect, it } from "vitest";
import { destroySocket } from "./socket.js";

const model = (connection: unknown): ChannelModel => ({ connection }) as unknown as ChannelModel;

describe("destroySocket", () => {
  it("cuts the socket with the reason, once, and says false when amqplib keeps none where expected", () => {
    const reasons: (Error | undefined)[] = [];
    const socket = {
      destroyed: false,
      destroy(err?: Error) {
        reasons.push(err);
        this.destroyed = true;
      },
    };
    const reason = new Error("aborted");
    expect(destroySocket(model({ stream: socket }), reason)).toBe(true);
    expect(destroySocket(model({ stream: socket }), reason)).toBe(true); // already gone: not destroyed again
    expect(reasons).toEqual([reason]);
    expect(destroySocket(model({}), reason)).toBe(false);
    expect(destroySocket(model({ stream: { destroy: "not a function" } }), reason)).toBe(false);
    expect(destroySocket(model(undefined), reason)).toBe(false);
  });
});
