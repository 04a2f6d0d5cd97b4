/* global URL */
// How `mqa topology validate` scales with the number of topics: generates specs of N topics (two groups
// each, one with a retry policy, one dead-lettered; one extra queue and binding per 10 topics; one Redis
// stream per 10 topics), runs the built CLI on each in a fresh process and prints wall seconds and peak RSS.
// Expansion must stay linear: doubling the topics should roughly double the time. Run after `npm run build`:
//   node bench/topology-expansion.mjs [topic counts=1000,2000,4000,10000] [format=yaml|json]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { generateSpec } from "./lib/topology-spec.mjs";

const counts = (process.argv[2] ?? "1000,2000,4000,10000").split(",").map(Number);
const format = process.argv[3] === "json" ? "json" : "yaml";
const cli = fileURLToPath(new URL("../bin/mqa.js", import.meta.url));
const rssHook = fileURLToPath(new URL("./lib/rss-on-exit.mjs", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "mqa-topology-bench-"));
try {
  console.log(`format ${format}; node ${process.version}`);
  console.log("topics\tspec MB\tseconds\tpeak RSS MB\tresult");
  for (const n of counts) {
    const file = join(dir, `spec-${n}.${format}`);
    const spec = generateSpec(n);
    writeFileSync(file, format === "json" ? JSON.stringify(spec) : stringify(spec));
    const mb = (statSync(file).size / 1e6).toFixed(1);
    const started = process.hrtime.bigint();
    const run = spawnSync(
      process.execPath,
      ["--import", rssHook, cli, "topology", "validate", file, "--json"],
      {
        encoding: "utf8",
        maxBuffer: 1 << 26,
      },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = /peak-rss-kb (\d+)/.exec(run.stderr);
    const result =
      run.status === 0
        ? `${JSON.parse(run.stdout).rabbitmq.queues} queues`
        : `exit ${run.status}: ${
            run.stderr
              .split("\n")
              .filter((l) => l.trim() !== "" && !l.startsWith("peak-rss"))
              .slice(0, 3)
              .join(" | ") ?? ""
          }`;
    console.log(
      `${n}\t${mb}\t${seconds.toFixed(2)}\t${rss ? (Number(rss[1]) / 1024).toFixed(0) : "?"}\t${result}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
