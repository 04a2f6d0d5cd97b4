import { describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { expandRabbit, specToDefinitions } from "./expand-rabbit.js";
import { specToRedisModel } from "./expand-redis.js";
import { rabbitPasswordHash, rabbitPasswordMatches } from "./password-hash.js";
import { validateSpec } from "./parse-spec.js";
import { retryDelaysMs } from "./retry-schedule.js";

describe("pattern expansion", () => {
  it("topic T + group G follows the transport's convention exactly", () => {
    const defs = specToDefinitions(
      validateSpec({
        version: 1,
        rabbitmq: { vhosts: [{ name: "/" }], topics: [{ name: "T", groups: [{ name: "G" }] }] },
      }),
    );
    expect(defs.exchanges).toEqual([
      {
        name: "T",
        vhost: "/",
        type: "topic",
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      },
      {
        name: "mqa.dlx",
        vhost: "/",
        type: "direct",
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      },
    ]);
    expect(defs.queues).toEqual([
      {
        name: "T.G.dlq",
        vhost: "/",
        durable: true,
        auto_delete: false,
        arguments: { "x-queue-type": "quorum" },
      },
      {
        name: "T.G",
        vhost: "/",
        durable: true,
        auto_delete: false,
        arguments: {
          "x-queue-type": "quorum",
          "x-dead-letter-exchange": "mqa.dlx",
          "x-dead-letter-routing-key": "T.G",
        },
      },
    ]);
    expect(defs.bindings).toEqual([
      {
        source: "mqa.dlx",
        vhost: "/",
        destination: "T.G.dlq",
        destination_type: "queue",
        routing_key: "T.G",
        arguments: {},
      },
      {
        source: "T",
        vhost: "/",
        destination: "T.G",
        destination_type: "queue",
        routing_key: "#",
        arguments: {},
      },
    ]);
  });

  it("retry: { attempts: 5, backoff: exponential 1s..5m } gives four delay queues that return to the queue", () => {
    expect(retryDelaysMs({ attempts: 5, backoff: "exponential 1s..5m" })).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelaysMs({ attempts: 4, backoff: "exponential 1m..5m x10" })).toEqual([
      60_000, 300_000, 300_000,
    ]);
    expect(retryDelaysMs({ attempts: 3, backoff: { type: "fixed", delay: "10s" } })).toEqual([
      10_000, 10_000,
    ]);
    const defs = specToDefinitions(
      validateSpec({
        version: 1,
        rabbitmq: {
          vhosts: [{ name: "v" }],
          queues: [
            {
              name: "work",
              vhost: "v",
              retry: { attempts: 5, backoff: "exponential 1s..5m" },
              deadLetter: true,
            },
          ],
        },
      }),
    );
    const delay = defs.queues.filter((q) => q.name.startsWith("work.retry."));
    expect(
      delay.map((q) => [q.name, q.arguments["x-message-ttl"], q.arguments["x-dead-letter-routing-key"]]),
    ).toEqual([
      ["work.retry.1s", 1000, "work"],
      ["work.retry.2s", 2000, "work"],
      ["work.retry.4s", 4000, "work"],
      ["work.retry.8s", 8000, "work"],
    ]);
    expect(defs.queues.find((q) => q.name === "work.dlq")).toBeDefined();
    expect(defs.bindings.filter((b) => b.source === "mqa.retry").map((b) => b.routing_key)).toEqual(
      delay.map((q) => q.name),
    );
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
        },
      }),
    );
    expect(defs.queues.find((q) => q.name === "q")?.arguments).toMatchObject({
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "custom",
      "x-delivery-limit": 5,
    });
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

  it("Redis streams expand to partitions with hash tags, DLQ streams and delayed sets", () => {
    const model = specToRedisModel(
      validateSpec({
        version: 1,
        redis: {
          keyPrefix: "app:",
          streams: [
            {
              name: "pay",
              partitions: 2,
              retention: { maxAge: "1h" },
              groups: [{ name: "g", retry: { attempts: 3 } }],
            },
          ],
        },
      }),
    );
    expect(model.streams.map((s) => [s.key, s.role, s.groups.map((g) => g.name)])).toEqual([
      ["app:{pay:0}", "partition", ["g"]],
      ["app:{pay:0}:dlq", "dead-letter", []],
      ["app:{pay:1}", "partition", ["g"]],
      ["app:{pay:1}:dlq", "dead-letter", []],
    ]);
    expect(model.streams[0]?.retention).toEqual({ maxAgeMs: 3_600_000 });
    expect(model.delayedSets).toEqual(["app:{pay:0}:g:delayed", "app:{pay:1}:g:delayed"]);
  });
});
