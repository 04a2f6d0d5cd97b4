// The synthetic spec bench/topology-expansion.mjs measures (also handy for profiling by hand:
//   node -e 'import("./bench/lib/topology-spec.mjs").then((m) => m.writeSpec(10000, "/tmp/spec.yaml"))').
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";

/** A spec with `n` RabbitMQ topics. */
export function generateSpec(n) {
  const topics = [];
  const queues = [];
  const bindings = [];
  const streams = [];
  for (let i = 0; i < n; i++) {
    topics.push({
      name: `t${i}`,
      vhost: i % 2 === 0 ? "/" : "shop",
      groups: [
        { name: "billing", retry: { attempts: 5, backoff: "exponential 1s..5m" }, bindings: [`k${i}.#`] },
        { name: "audit", deadLetter: true, retry: false },
      ],
    });
    if (i % 10 === 0) {
      queues.push({ name: `extra${i}`, type: "classic", deadLetter: true });
      bindings.push({
        source: `t${i}`,
        destination: `extra${i}`,
        routingKey: "#",
        vhost: i % 2 === 0 ? "/" : "shop",
      });
      streams.push({ name: `s${i}`, partitions: 2, groups: [{ name: "ledger" }] });
    }
  }
  return {
    version: 1,
    rabbitmq: { vhosts: [{ name: "/" }, { name: "shop" }], topics, queues, bindings },
    redis: { streams },
  };
}

/** Write the spec of `n` topics to `file` (JSON when the name ends in .json, else YAML). */
export function writeSpec(n, file) {
  const spec = generateSpec(n);
  writeFileSync(file, file.endsWith(".json") ? JSON.stringify(spec) : stringify(spec));
}
