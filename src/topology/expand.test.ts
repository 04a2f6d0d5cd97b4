import { describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { expandRabbit, specToDefinitions } from "./expand-rabbit.js";
import { specToRedisModel } from "./expand-redis.js";
import { rabbitPasswordHash, rabbitPasswordMatches } from "./password-hash.js";
import { validateSpec } from "../spec/parse.js";
import { retryDelaysMs } from "../spec/retry-schedule.js";
import { planToResources } from "./rabbit-conventions.js";
import { planGroupTopology } from "../transports/amqp/layout.js";
import { RedisKeyNames, planDeclaration } from "../transports/redis/layout.js";

describe("pattern expansion", () => {
  it("topic T + group G expands to exactly what the RabbitMQ transport declares", () => {
    const defs = specToDefinitions(
      validateSpec({
        version: 1,
        rabbitmq: { vhosts: [{ name: "/" }], topics: [{ name: "T", groups: [{ name: "G" }] }] },
      }),
      { brokerVersion: "3.10.8" },
    );
    const transport = planToResources(
      planGroupTopology({ topic: "T", group: "G" }, { brokerVersion: "3.10.8" }),
      "/",
    );
    expect(defs.exchanges).toEqual(transport.exchanges);
    expect(defs.queues).toEqual(transport.queues);
    expect(defs.bindings).toEqual(transport.bindings);
    // The convention, spelled out.
    expect(defs.exchanges.find((e) => e.name === "T")?.type).toBe("topic");
    expect(defs.exchanges.find((e) => e.name === "mqa.dlx")?.type).toBe("direct");
    expect(defs.queues.find((q) => q.name === "T.G")?.arguments).toMatchObject({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "T.G",
    });
    expect(defs.bindings).toContainEqual(binding("T", "T.G", "#"));
    expect(defs.bindings).toContainEqual(binding("mqa.dlx", "T.G.dlq", "T.G"));
  });

  it("a queue with retry and deadLetter gets its DLQ and the delay levels, sized to the longest delay", () => {
    expect(retryDelaysMs({ attempts: 5, backoff: "exponential 1s..5m" })).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelaysMs({ attempts: 4, backoff: "exponential 1m..5m x10" })).toEqual([
      60_000, 300_000, 300_000,
    ]);
    expect(retryDelaysMs({ attempts: 3, backoff: { type: "fixed", delay: "10s" } })).toEqual([
      10_000, 10_000,
    ]);
    const expand = (backoff: string) =>
      specToDefinitions(
        validateSpec({
          version: 1,
          rabbitmq: {
            vhosts: [{ name: "v" }],
            queues: [{ name: "work", vhost: "v", retry: { attempts: 10, backoff }, deadLetter: true }],
          },
        }),
      );
    const defs = expand("exponential 1s..5m");
    expect(defs.queues.find((q) => q.name === "work")?.arguments).toMatchObject({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "work",
    });
    expect(defs.queues.find((q) => q.name === "work.dlq")).toBeDefined();
    expect(defs.bindings).toContainEqual({ ...binding("mqa.dlx", "work.dlq", "work"), vhost: "v" });
    expect(defs.bindings).toContainEqual({
      ...binding("mqa.delay.deliver", "work", `${"*.".repeat(28)}work`),
      vhost: "v",
    });
    expect(defs.exchanges.some((e) => e.name === "mqa-topology-placeholder")).toBe(false);
    const levels = (d: typeof defs) => d.queues.filter((q) => q.name.startsWith("mqa.delay.l")).length;
    expect(levels(defs)).toBe(27); // the transport's default: delays up to 24 h
    expect(levels(expand("exponential 1h..72h"))).toBe(28); // 72 h needs one more level
  });

  it("a spec's own argument overrides the pattern's", () => {
    const defs = specToDefinitions(
      validateSpec({
        version: 1,
        rabbitmq: {
          vhosts: [{ name: "/" }],
          queues: [
            {
              name: "q",
              deadLetter: true,
              arguments: { "x-dead-letter-routing-key": "custom", "x-delivery-limit": 5 },
            },
          ],
          topics: [
            {
              name: "t",
              groups: [
                { name: "g", retry: false, deliveryLimit: "unlimited", arguments: { "x-max-length": 10 } },
              ],
            },
          ],
        },
      }),
    );
    expect(defs.queues.find((q) => q.name === "q")?.arguments).toMatchObject({
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "custom",
      "x-delivery-limit": 5,
    });
    const g = defs.queues.find((q) => q.name === "t.g")?.arguments;
    expect(g?.["x-max-length"]).toBe(10);
    expect(g?.["x-delivery-limit"]).toBe(-1);
    expect(defs.bindings.some((b) => b.destination === "t.g" && b.source.startsWith("mqa.delay"))).toBe(
      false,
    );
  });

  it("passwords come from the environment, hashed; a missing variable is an error with its path", () => {
    const spec = validateSpec({
      version: 1,
      rabbitmq: { users: [{ name: "app", passwordFromEnv: "APP_PW" }] },
    });
    const [user] = specToDefinitions(spec, { env: { APP_PW: "pw" } }).users;
    expect(rabbitPasswordMatches("pw", user?.password_hash ?? "", "rabbit_password_hashing_sha256")).toBe(
      true,
    );
    expect(rabbitPasswordMatches("other", user?.password_hash ?? "", "rabbit_password_hashing_sha256")).toBe(
      false,
    );
    expect(() => specToDefinitions(spec, { env: {} })).toThrow(InvalidSpecError);
    expect(() => specToDefinitions(spec, { env: {} })).toThrow(/rabbitmq\.users\[0\]\.passwordFromEnv/);
    expect(expandRabbit(spec, { env: {}, requirePasswords: false }).passwordEnv.get("app")).toBe("APP_PW");
    // The guest user's well-known hash check, as a fixed point against RabbitMQ's own format.
    expect(
      rabbitPasswordMatches(
        "guest",
        rabbitPasswordHash("guest", "rabbit_password_hashing_sha512"),
        "rabbit_password_hashing_sha512",
      ),
    ).toBe(true);
  });

  it("Redis streams expand to the transport's keys: hash-tagged partitions, retry streams, lazy DLQs", () => {
    const spec = validateSpec({
      version: 1,
      redis: {
        keyPrefix: "app",
        streams: [
          {
            name: "pay",
            partitions: 2,
            retention: { maxAge: "1h" },
            groups: [{ name: "g", retry: { attempts: 3 } }],
          },
        ],
      },
    });
    const model = specToRedisModel(spec);
    expect(model.streams.map((s) => [s.key, s.role, s.groups.map((g) => `${g.name}@${g.start}`)])).toEqual([
      ["app:{pay#0}", "partition", ["g@0-if-first-group-else-$"]],
      ["app:{pay#1}", "partition", ["g@0-if-first-group-else-$"]],
      ["app:{pay#0}:retry:g", "retry", ["g@0"]],
      ["app:{pay#1}:retry:g", "retry", ["g@0"]],
    ]);
    expect(model.streams[0]?.trim).toEqual({ maxAgeMs: 3_600_000 });
    const names = new RedisKeyNames("app");
    const steps = planDeclaration(names, {
      topic: "pay",
      group: "g",
      partitions: 2,
      trim: { maxAgeMs: 3_600_000 },
    });
    const lazy = steps.flatMap((s) => (s.kind === "lazy" ? [s.key] : []));
    expect(model.lazyKeys.map((k) => k.key).sort()).toEqual(lazy.sort());
    expect(model.lazyKeys.find((k) => k.purpose === "dead-letters")?.key).toBe("app:{pay#0}:dlq:g");
  });
});

function binding(source: string, destination: string, routingKey: string) {
  return {
    source,
    vhost: "/",
    destination,
    destination_type: "queue",
    routing_key: routingKey,
    arguments: {},
  };
}
