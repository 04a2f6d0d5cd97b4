import { describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { parseRedisOptions } from "./options.js";

/** The error parseRedisOptions throws for `input` (fails the test when it accepts it). */
function refusal(input: unknown): MqaError {
  try {
    parseRedisOptions(input);
  } catch (err) {
    if (err instanceof MqaError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("Redis Cluster options", () => {
  it("is off by default, and takes true or a list of seed nodes", () => {
    expect(parseRedisOptions({}).cluster).toBe(false);
    expect(parseRedisOptions({ url: "redis://a:7000", cluster: true }).cluster).toBe(true);
    expect(
      parseRedisOptions({ cluster: { nodes: ["redis://a:7000", "rediss://b:7001/0"] } }).cluster,
    ).toEqual({
      nodes: ["redis://a:7000", "rediss://b:7001/0"],
    });
  });

  it("refuses an empty seed list, a seed that is not a redis URL, and a database other than 0", () => {
    const empty = refusal({ cluster: { nodes: [] } });
    expect(empty.code).toBe("invalid-options");
    expect(empty.message).toContain("cluster.nodes");
    const bare = refusal({ cluster: { nodes: ["a:7000"] } });
    expect(bare.message).toContain("cluster.nodes.0");
    expect(bare.message).toContain("must be redis://host:port");
    const db = refusal({ url: "redis://a:7000/2", cluster: true });
    expect(db.message).toContain("url: a Redis Cluster has only database 0");
    expect(parseRedisOptions({ url: "redis://a:7000/2" }).url).toBe("redis://a:7000/2");
    expect(refusal({ cluster: "yes" }).message).toContain("cluster");
  });
});
