import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../core/errors.js";
import { resolveAmqpOptions } from "./options.js";

describe("AmqpTransport options", () => {
  it("has the documented defaults", () => {
    const o = resolveAmqpOptions(undefined);
    expect(o).toMatchObject({
      url: "amqp://guest:guest@127.0.0.1:5672",
      heartbeatSeconds: 10,
      prefetch: 200,
      maxUnconfirmed: 500,
      queueType: "quorum",
      deliveryLimit: 20,
      ackBatchSize: 1,
      urlOrder: "shuffle",
    });
    expect(o.quorumReplicas).toBeUndefined();
  });

  it("rejects unknown keys and bad values, naming every path", () => {
    let err: unknown;
    try {
      resolveAmqpOptions({ url: "http://x", prefetch: 0, prefech: 10 } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionsError);
    const paths = ((err as InvalidOptionsError).details?.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["url", "prefetch", "(root)"]));
  });

  it("accepts several cluster nodes and TLS material", () => {
    const o = resolveAmqpOptions({
      url: ["amqps://a:5671", "amqps://b:5671"],
      tls: { ca: "-----BEGIN CERTIFICATE-----", cert: Buffer.from("c"), key: "k" },
    });
    expect(o.url).toHaveLength(2);
    expect(o.tls?.rejectUnauthorized).toBe(true);
  });
});
