import type { ConsumeMessage } from "amqplib";
import { describe, expect, it } from "vitest";
import { fromDelivery, stringHeaders, toPublishProperties } from "./message-mapping.js";

/** A delivery as amqplib hands it over, with the given properties. */
function delivery(properties: Partial<ConsumeMessage["properties"]>, body = "{}"): ConsumeMessage {
  return {
    content: Buffer.from(body),
    fields: { deliveryTag: 1, redelivered: false, exchange: "x", routingKey: "k", consumerTag: "c" },
    properties: { headers: {}, ...properties } as ConsumeMessage["properties"],
  } as ConsumeMessage;
}

describe("AMQP message mapping", () => {
  it("turns header values of every AMQP field type into documented strings", () => {
    const headers = stringHeaders({
      s: "text",
      i: 42,
      neg: -7,
      f: 1.5,
      big: 2n ** 62n,
      t: true,
      v: null,
      bytesText: Buffer.from("héllo"),
      bytesBinary: Buffer.from([0xff, 0x00, 0xfe]),
      ts: { "!": "timestamp", value: 1_700_000_000 },
      dec: { "!": "decimal", value: { places: 2, digits: 1250 } },
      decSmall: { "!": "decimal", value: { places: 3, digits: 5 } },
      table: { a: 1, nested: { b: [true, "x"] }, when: { "!": "timestamp", value: 0 } },
      list: [1, "two", Buffer.from("three")],
      "x-death": [{ count: 1, reason: "rejected", queue: "q", time: { "!": "timestamp", value: 1 } }],
    });
    expect(headers).toEqual({
      s: "text",
      i: "42",
      neg: "-7",
      f: "1.5",
      big: String(2n ** 62n),
      t: "true",
      v: "",
      bytesText: "héllo",
      bytesBinary: "base64:/wD+",
      ts: "2023-11-14T22:13:20.000Z",
      dec: "12.50",
      decSmall: "0.005",
      table: '{"a":1,"nested":{"b":[true,"x"]},"when":"1970-01-01T00:00:00.000Z"}',
      list: '[1,"two","three"]',
      "x-death": '[{"count":1,"reason":"rejected","queue":"q","time":"1970-01-01T00:00:01.000Z"}]',
    });
  });

  it("keeps a header named __proto__ as a header", () => {
    const raw = JSON.parse('{"__proto__": "p"}') as Record<string, unknown>;
    expect(Object.keys(stringHeaders(raw))).toEqual(["__proto__"]);
  });

  it("leaves the content type unset when the publisher set none, instead of calling it raw bytes", () => {
    expect(fromDelivery(delivery({}), "t").contentType).toBeUndefined();
    expect(fromDelivery(delivery({ contentType: "" }), "t").contentType).toBeUndefined();
    expect(fromDelivery(delivery({ contentType: "application/json" }), "t").contentType).toBe(
      "application/json",
    );
    expect(toPublishProperties({ payload: new Uint8Array() }).contentType).toBeUndefined();
  });

  it("takes the message id, correlation id and AMQP timestamp of another client's message", () => {
    const m = fromDelivery(
      delivery({ messageId: "m-1", correlationId: "c-1", timestamp: 1_700_000_000 }),
      "t",
    );
    expect(m).toMatchObject({ id: "m-1", correlationId: "c-1", timestamp: 1_700_000_000_000, attempt: 1 });
  });

  it("gives an id-less message of another client its own id, and its routing key as its key", () => {
    const a = fromDelivery(delivery({}), "t");
    const b = fromDelivery(delivery({}), "t");
    expect(a.id).not.toBe("");
    expect(a.id).not.toBe(b.id);
    expect(a.key).toBe("k"); // the routing key it was published with
    // mqa's own messages (and their retries, whose routing key is a delay route) keep the key header's.
    const ours = fromDelivery(delivery({ headers: { "x-mqa-timestamp": "1" } }), "t");
    expect(ours.key).toBeUndefined();
  });
});
