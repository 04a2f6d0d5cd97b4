/**
 * Removing what a demo run declared on a real broker: its two topics, their group queues (streams) and dead
 * letters, so runs on a shared broker leave nothing behind. The shared delay levels stay (other programs
 * use them). `mqa demo --keep` skips this.
 */
import type { BrokerTlsOptions } from "../connect.js";
import { removeTopic } from "../cleanup/remove-topic.js";
import { demoTopics } from "./pipeline.js";

/** Delete the demo topics of `namespace` on `url` (nothing to do on memory://). */
export async function removeDemoTopics(
  url: string,
  namespace?: string,
  tls?: BrokerTlsOptions,
): Promise<string[]> {
  const removed: string[] = [];
  for (const { topic, groups } of demoTopics(namespace)) {
    await removeTopic(url, topic, groups, tls ? { tls } : {});
    removed.push(topic);
  }
  return removed;
}
