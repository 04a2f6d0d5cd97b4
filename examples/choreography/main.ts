/**
 * Run the choreography example and print what happened, then how to see one order end to end:
 * `npx tsx examples/choreography/main.ts [broker-url] [topic-prefix]` (memory:// and `shop` by default;
 * amqp://… or redis://…).
 * See docs/choreography.md.
 */
import { maskUrl } from "../../src/core/redact.js";
import { runChoreography } from "./run.js";

const broker = process.argv[2] ?? "memory://";
const prefix = process.argv[3] ?? "shop";
const report = await runChoreography({ broker, prefix, onLine: (line) => console.log(`  ${line}`) });
console.log(`\n${report.orders.length} orders on ${maskUrl(broker)}:`);
for (const o of report.orders) console.log(`  ${o.orderId}  ${o.status.padEnd(9)}  ${o.detail ?? ""}`);
if (!broker.startsWith("memory:")) {
  const topics = report.topics.map((t) => `    --topic ${t}`).join(" \\\n");
  const first = report.orders[0]?.correlationId;
  console.log(
    `\nsee one order end to end:\n  npx mqa trace ${first} --broker ${maskUrl(broker)} \\\n${topics}`,
  );
}
