import { describe, expect, it } from "vitest";
import { parseRedisDlqKey } from "./list-redis.js";
import { managementUrlOf } from "./list-amqp.js";

describe("parseRedisDlqKey", () => {
  it("reads topic and group of mqa's DLQ streams, partitioned or not, escaped names included", () => {
    expect(parseRedisDlqKey("mqa:{orders}:dlq:billing")).toEqual({ topic: "orders", group: "billing" });
    expect(parseRedisDlqKey("mqa:{orders#3}:dlq:billing")).toEqual({ topic: "orders", group: "billing" });
    expect(parseRedisDlqKey("mqa:{a%23b%7B}:dlq:g%20h")).toEqual({ topic: "a#b{", group: "g h" });
    expect(parseRedisDlqKey("app:{orders}:dlq:g", "app")).toEqual({ topic: "orders", group: "g" });
  });

  it("refuses what is not one: another prefix, a foreign stream's companion keys, other mqa keys", () => {
    expect(parseRedisDlqKey("other:{orders}:dlq:g")).toBeUndefined();
    expect(parseRedisDlqKey("mqa:{eu}:key:shop%7Beu%7D:orders:dlq:g")).toBeUndefined();
    expect(parseRedisDlqKey("mqa:{orders}:retry:g")).toBeUndefined();
  });
});

describe("managementUrlOf", () => {
  it("keeps user, password and host, picks the management port and reads the vhost", () => {
    expect(managementUrlOf("amqp://u:p%40ss@rabbit.local:5672/shop%2Feu")).toEqual({
      url: "http://u:p%40ss@rabbit.local:15672",
      vhost: "shop/eu",
    });
    expect(managementUrlOf("amqps://rabbit.local")).toEqual({
      url: "https://rabbit.local:15671",
      vhost: "/",
    });
  });
});
