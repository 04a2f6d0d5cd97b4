/**
 * `mqa verify --cluster 3` on a private 3-node RabbitMQ cluster the command starts itself: publishers with
 * confirms and consumer processes (given every node's URL) run while the node hosting the queue's leader
 * is SIGKILLed and restarted, besides consumer kills and poison; every confirmed message is accounted for.
 */
import { describe, expect, it } from "vitest";
import { verifyRun } from "./support/verify-report.js";

describe("mqa verify --cluster 3", () => {
  it("loses no confirmed message when the leader's node is killed mid-run and restarted", async () => {
    const report = await verifyRun(
      "amqp://guest:guest@127.0.0.1:5672", // only the kind: the run starts its own cluster
      "--cluster",
      "3",
      "--messages",
      "3000",
      "--consumers",
      "2",
      "--faults",
      "kill-leader,consumer-kill,poison",
      "--seed",
      "11",
    );
    console.log(JSON.stringify({ ...report, lostSample: undefined }));
    const kill = report.faults.find((f) => f.kind === "kill-leader");
    expect(kill?.detail).toMatch(
      /^SIGKILL (mqa-cluster-\S+@localhost) \(leader of mqa\.verify\.\w+\.verify\); new leader (?!\1)mqa-cluster-\S+@localhost after \d+ ms; node back in the cluster after \d+ ms$/,
    );
    expect(report.faults.filter((f) => f.kind === "consumer-kill")).toHaveLength(2);
    expect(report.skippedFaults).toEqual([]);
    expect(report.consumerMode).toBe("process");
    expect(report.notes.join(" ")).toMatch(/private 3-node RabbitMQ cluster on ports \d+, \d+, \d+/);
    expect(report.broker).not.toBe("amqp://guest:***@127.0.0.1:5672/");
  }, 240_000);

  it("refuses --cluster for a broker mqa cannot start a cluster of, naming the flag", async () => {
    const { mqa } = await import("./support/cli.js");
    const r = await mqa("verify", "--broker", "memory://", "--cluster", "3", "--messages", "10");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /--cluster starts a private RabbitMQ cluster \(amqp:\/\/\) or Redis Cluster \(redis:\/\/\); it has none for memory:\/\//,
    );
  }, 60_000);
});
