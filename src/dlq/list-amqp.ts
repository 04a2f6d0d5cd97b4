/**
 * Every group's DLQ on a RabbitMQ virtual host. AMQP cannot list queues, so the queues come from the
 * management HTTP API: each queue named `<queue>.dlq` whose `<queue>` is bound to an exchange `T` and named
 * `T.<group>` (mqa's naming) is group `<group>` of topic `T`, and is counted through the transport (a walk
 * that keeps every dead letter: the API's own message counts lag by its statistics interval, 5 s by default).
 * A `.dlq` queue that does not follow the naming is listed by name with the API's count and no ages.
 */
import type { DeadLetterCount } from "../core/dead-letter-queues.js";
import { MqaError } from "../core/errors.js";
import type { RabbitManagementApi } from "../brokers/management-api.js";
import { sortSummaries, type DeadLetterQueueSummary } from "./list-all.js";

const enc = encodeURIComponent;

/** Count one group's dead letters (the transport's `countDeadLetters`). */
export type CountDeadLetters = (topic: string, group: string) => Promise<DeadLetterCount>;

/** Every `.dlq` queue of `vhost` with its count and, for mqa's groups, oldest/newest dead-lettering time. */
export async function listAmqpDeadLetterQueues(
  api: RabbitManagementApi,
  vhost: string,
  count: CountDeadLetters,
): Promise<DeadLetterQueueSummary[]> {
  const queues = (await getJson(api, `/queues/${enc(vhost)}?columns=name,messages`)) as {
    name: string;
    messages?: number;
  }[];
  const out: DeadLetterQueueSummary[] = [];
  for (const q of queues) {
    if (!q.name.endsWith(".dlq") || q.name.length <= 4) continue;
    const owner = await groupOf(api, vhost, q.name.slice(0, -4));
    if (owner === undefined) {
      out.push({ queues: [q.name], count: q.messages ?? 0 });
      continue;
    }
    out.push({ ...owner, queues: [q.name], ...(await count(owner.topic, owner.group)) });
  }
  return sortSummaries(out);
}

/** Topic and group of queue `T.G` bound to exchange `T`; undefined when it is not one (or is gone). */
async function groupOf(
  api: RabbitManagementApi,
  vhost: string,
  queue: string,
): Promise<{ topic: string; group: string } | undefined> {
  const r = await api.get(`/queues/${enc(vhost)}/${enc(queue)}/bindings`);
  if (!r.ok || !Array.isArray(r.body)) return undefined;
  for (const b of r.body as { source?: unknown }[]) {
    const source = typeof b.source === "string" ? b.source : "";
    if (source !== "" && queue.startsWith(`${source}.`) && queue.length > source.length + 1)
      return { topic: source, group: queue.slice(source.length + 1) };
  }
  return undefined;
}

async function getJson(api: RabbitManagementApi, path: string): Promise<unknown> {
  const r = await api.get(path);
  if (r.ok) return r.body;
  const hint =
    r.status === 401
      ? ": the user cannot log in or lacks the management tag (give --management http://user:pass@host:15672)"
      : r.status === 404
        ? ": no such virtual host"
        : "";
  throw new MqaError(
    r.status === 404 ? "not-found" : "invalid-options",
    `GET ${path} at ${api.maskedUrl} → ${r.status}${hint}`,
  );
}

/**
 * The management URL of the RabbitMQ an AMQP URL points at: same user, password and host, `http://` on 15672
 * (`https://` on 15671 for `amqps://`). Pass it explicitly when the API listens elsewhere.
 */
export function managementUrlOf(amqpUrl: string): { url: string; vhost: string } {
  const u = new URL(amqpUrl);
  const secure = u.protocol === "amqps:";
  const path = u.pathname.replace(/^\//, "");
  const vhost = path === "" ? "/" : decodeURIComponent(path);
  const m = new URL(`${secure ? "https" : "http"}://host`);
  m.hostname = u.hostname;
  m.port = secure ? "15671" : "15672";
  m.username = u.username;
  m.password = u.password;
  return { url: m.toString().replace(/\/$/, ""), vhost };
}
