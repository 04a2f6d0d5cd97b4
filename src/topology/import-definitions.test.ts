import { describe, expect, it } from "vitest";
import { emptyDefinitions, type RabbitDefinitions } from "../brokers/rabbit-definitions.js";
import { specToDefinitions } from "./expand-rabbit.js";
import { definitionsToSpec } from "./import-definitions.js";

describe("definitionsToSpec", () => {
  it("keeps what the schema knows, reports what it drops, and round-trips through specToDefinitions", () => {
    const defs: RabbitDefinitions = {
      ...emptyDefinitions(),
      vhosts: [{ name: "v" }, { name: "other" }],
      users: [
        {
          name: "app",
          password_hash: "abcdEFGH",
          hashing_algorithm: "rabbit_password_hashing_sha256",
          tags: "monitoring",
        },
      ],
      permissions: [{ user: "app", vhost: "v", configure: "", write: ".*", read: ".*" }],
      queues: [
        {
          name: "q",
          vhost: "v",
          durable: true,
          auto_delete: false,
          arguments: { "x-queue-type": "quorum", "x-custom": 1 },
        },
        { name: "elsewhere", vhost: "other", durable: true, auto_delete: false, arguments: {} },
        { name: "amq.gen-123", vhost: "v", durable: false, auto_delete: true, arguments: {} },
      ],
      exchanges: [
        {
          name: "e",
          vhost: "v",
          type: "fanout",
          durable: true,
          auto_delete: false,
          internal: false,
          arguments: {},
        },
      ],
      bindings: [
        {
          source: "e",
          vhost: "v",
          destination: "q",
          destination_type: "queue",
          routing_key: "",
          arguments: {},
        },
      ],
      policies: [
        {
          vhost: "v",
          name: "p",
          pattern: ".*",
          "apply-to": "queues",
          priority: 1,
          definition: { "max-length": 5, "made-up": 1 },
        },
      ],
    };
    const { spec, warnings } = definitionsToSpec(defs, { vhosts: ["v"] });
    expect(warnings).toEqual([
      "queue v/q: argument x-custom is not in mqa's schema and was dropped",
      "policy v/p: key made-up is not in mqa's schema and was dropped",
    ]);
    expect(spec.rabbitmq?.queues?.map((q) => q.name)).toEqual(["q"]);
    expect(spec.rabbitmq?.users).toEqual([
      {
        name: "app",
        tags: ["monitoring"],
        passwordHash: "abcdEFGH",
        hashingAlgorithm: "rabbit_password_hashing_sha256",
      },
    ]);
    const back = specToDefinitions(spec);
    expect(back.queues).toEqual([
      { name: "q", vhost: "v", durable: true, auto_delete: false, arguments: { "x-queue-type": "quorum" } },
    ]);
    expect(back.users[0]?.password_hash).toBe("abcdEFGH");
    expect(back.bindings).toEqual(defs.bindings);
  });
});
