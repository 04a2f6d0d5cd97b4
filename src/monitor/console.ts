/**
 * The operator's console's model: after every sample the monitor's raw queue list becomes the view the page
 * shows (topics → groups → their dead-letter queue, delay levels folded, alerts newest first with the time
 * they were first raised) and one point of history, kept in a ring buffer of fixed capacity so a monitor
 * that runs for weeks holds the same memory as one that runs for minutes. The page receives both over
 * Server-Sent Events (./server.ts); the wire types are in ./console-protocol.ts.
 *
 * A Redis topic split into partitions (`mqa:{orders#0}` … `mqa:{orders#3}`) is one topic with one row per
 * group, its figures summed over the partitions: an operator asks "is billing keeping up", not "is partition 2".
 */
import { resourceOf, type Alert } from "./alerts.js";
import type {
  AlertView,
  BrokerHealthView,
  ConsoleHistory,
  ConsoleState,
  DeadLetterView,
  DelayLevelsView,
  GroupView,
  HistoryPoint,
  QueueView,
  SeriesPoint,
  TopicView,
} from "./console-protocol.js";
import type { MonitorState } from "./monitor.js";
import type { BrokerHealth, QueueStatus, Snapshot } from "./snapshot.js";

/** Points kept by default: one hour at the default 5 s interval. */
export const DEFAULT_HISTORY = 720;

/** A fixed-capacity ring of history points, oldest first when read. */
export class HistoryRing {
  private readonly slots: (HistoryPoint | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`history capacity must be a positive integer, not ${capacity}`);
    this.slots = new Array<HistoryPoint | undefined>(capacity);
  }

  push(point: HistoryPoint): void {
    this.slots[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Every point kept, oldest first. */
  toArray(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const p = this.slots[(start + i) % this.capacity];
      if (p !== undefined) out.push(p);
    }
    return out;
  }
}

type Listener = (state: ConsoleState) => void;

/** The console's view of a monitor: present state, history and listeners (the page's event streams). */
export class ConsoleFeed {
  private readonly ring: HistoryRing;
  /** When each alert (kind + resource) was first raised, while it keeps being raised. */
  private since = new Map<string, number>();
  private current: ConsoleState;
  private readonly listeners = new Set<Listener>();
  /** Short ids for rows (`q1`, `q2`…), stable for the feed's life, so history points stay small. */
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly target: string,
    private readonly intervalMs: number,
    capacity: number = DEFAULT_HISTORY,
  ) {
    this.ring = new HistoryRing(capacity);
    this.current = emptyState(target, intervalMs);
  }

  /** Take the monitor's state after a sample: a good sample adds a point; a failed one only says why. */
  update(state: MonitorState): void {
    const snapshot = state.snapshot;
    if (state.error !== undefined || snapshot === undefined) {
      this.current = { ...this.current, samples: state.samples, error: state.error ?? null, point: null };
    } else {
      const at = Date.parse(snapshot.at);
      const alerts = this.alertViews(state.alerts, at);
      const view = buildView(snapshot, state.alerts, (key) => this.idOf(key));
      const point: HistoryPoint = { t: at, points: view.points, total: view.total };
      this.ring.push(point);
      this.current = {
        target: this.target,
        samples: state.samples,
        at,
        error: null,
        intervalMs: this.intervalMs,
        health: healthView(snapshot.health),
        topics: view.topics,
        other: view.other,
        delay: view.delay,
        alerts,
        deadLetters: view.deadLetters,
        gaps: snapshot.gaps,
        point,
      };
    }
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch {
        // A listener's failure (a closed socket) is its own business; the others still hear.
      }
    }
  }

  private idOf(key: string): string {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = `q${this.ids.size + 1}`;
      this.ids.set(key, id);
    }
    return id;
  }

  state(): ConsoleState {
    return this.current;
  }

  history(): ConsoleHistory {
    return { capacity: this.ring.capacity, intervalMs: this.intervalMs, points: this.ring.toArray() };
  }

  /** Hear every state from now on; returns the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private alertViews(alerts: readonly Alert[], at: number): AlertView[] {
    const since = new Map<string, number>();
    const views = alerts.map((a) => {
      const key = `${a.kind}\u0000${a.resource}`;
      const first = this.since.get(key) ?? at;
      since.set(key, first);
      return { ...a, since: first };
    });
    this.since = since; // an alert that stopped is forgotten: raised again, it starts anew
    return views.sort((a, b) => b.since - a.since || rank(b.severity) - rank(a.severity));
  }
}

const rank = (s: string): number => (s === "critical" ? 3 : s === "warning" ? 2 : 1);

function emptyState(target: string, intervalMs: number): ConsoleState {
  return {
    target,
    samples: 0,
    at: null,
    error: null,
    intervalMs,
    health: null,
    topics: [],
    other: [],
    delay: null,
    alerts: [],
    deadLetters: [],
    gaps: [],
    point: null,
  };
}

function healthView(h: BrokerHealth | undefined): BrokerHealthView | null {
  if (h === undefined) return null;
  const alarms: string[] = [];
  for (const n of h.nodes) {
    if (!n.running) alarms.push(`${n.name} is down`);
    if (n.memoryAlarm)
      alarms.push(h.broker === "redis" ? `${n.name} at maxmemory` : `memory alarm on ${n.name}`);
    if (n.diskAlarm) alarms.push(`disk alarm on ${n.name}`);
    if (n.partitions.length > 0) alarms.push(`${n.name} partitioned from ${n.partitions.join(", ")}`);
  }
  return {
    broker: h.broker,
    version: h.version ?? null,
    connections: h.connections ?? null,
    alarms,
    nodes: h.nodes.map((n) => ({
      name: n.name,
      running: n.running,
      memoryAlarm: n.memoryAlarm,
      diskAlarm: n.diskAlarm,
      memoryUsedBytes: n.memoryUsedBytes ?? null,
      memoryLimitBytes: n.memoryLimitBytes ?? null,
      partitions: n.partitions,
    })),
    role: h.role ?? null,
    replicas: h.replicas ?? null,
  };
}

/** What one sample looks like on the page, and its point of history. */
interface View {
  topics: TopicView[];
  other: QueueView[];
  delay: DelayLevelsView | null;
  deadLetters: DeadLetterView[];
  points: Record<string, SeriesPoint>;
  total: SeriesPoint;
}

/** Several raw queues shown as one row (a group over its partitions), with their dead-letter details. */
interface Row {
  view: QueueView;
  members: QueueStatus[];
}

const sum = (a: number | null, b: number | undefined | null): number | null =>
  b === undefined || b === null ? a : (a ?? 0) + b;

const emptyPoint = (): SeriesPoint => ({
  backlog: 0,
  inFlight: 0,
  publishRate: null,
  deliverRate: null,
  ackRate: null,
  lag: null,
});

function pointOf(v: SeriesPoint): SeriesPoint {
  return {
    backlog: v.backlog,
    inFlight: v.inFlight,
    publishRate: v.publishRate,
    deliverRate: v.deliverRate,
    ackRate: v.ackRate,
    lag: v.lag,
  };
}

/** The scope a row shows: the vhost, the stream key, or `mqa:{orders#0..3}` for a partitioned topic. */
function scopeOf(members: readonly QueueStatus[]): string {
  const scopes = [...new Set(members.map((m) => m.scope))].sort();
  if (scopes.length === 1) return scopes[0] ?? "";
  const parts = scopes.map((s) => /^(.*)#(\d+)(\}.*)$/.exec(s));
  if (parts.every((p) => p !== null && p[1] === parts[0]?.[1] && p[3] === parts[0]?.[3])) {
    const numbers = parts.map((p) => Number(p?.[2])).sort((a, b) => a - b);
    return `${parts[0]?.[1]}#${numbers[0]}..${numbers[numbers.length - 1]}${parts[0]?.[3]}`;
  }
  return scopes.join(", ");
}

function rowOf(id: string, members: QueueStatus[], severity: Map<string, "critical" | "warning">): Row {
  const first = members[0] as QueueStatus;
  let worst: "critical" | "warning" | null = null;
  const view: QueueView = {
    id,
    broker: first.broker,
    scope: scopeOf(members),
    name: first.name,
    resource: members.length === 1 ? resourceOf(first) : `${scopeOf(members)}#${first.name}`,
    role: first.role,
    consumers: 0,
    oldestPendingMs: null,
    severity: null,
    ...emptyPoint(),
  };
  for (const q of members) {
    view.backlog += q.backlog;
    view.inFlight += q.inFlight;
    view.consumers += q.consumers;
    view.publishRate = sum(view.publishRate, q.publishRate);
    view.deliverRate = sum(view.deliverRate, q.deliverRate);
    view.ackRate = sum(view.ackRate, q.ackRate);
    view.lag = sum(view.lag, q.broker === "rabbitmq" ? q.backlog : q.lag);
    if (q.oldestPendingMs !== undefined)
      view.oldestPendingMs = Math.max(view.oldestPendingMs ?? 0, q.oldestPendingMs);
    const s = severity.get(resourceOf(q));
    if (s === "critical" || (s === "warning" && worst === null)) worst = s;
  }
  view.severity = worst;
  return { view, members };
}

function deadLetterView(row: Row): DeadLetterView | null {
  const details = row.members.map((m) => m.deadLetters).filter((d) => d !== undefined);
  const first = details[0];
  if (first === undefined || row.view.backlog === 0) return null;
  const reasons = new Map<string, number>();
  let sampled: number | null = null;
  for (const d of details) {
    if (d.byReason === undefined) continue;
    sampled = (sampled ?? 0) + (d.sampled ?? 0);
    for (const r of d.byReason) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + r.count);
  }
  return {
    id: row.view.id,
    resource: row.view.resource,
    count: row.view.backlog,
    byReason:
      sampled === null
        ? null
        : [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    sampled,
    reasonsNote: first.reasonsNote ?? null,
    stats: first.commands.stats,
    redrive: first.commands.redrive,
    note: first.commands.note ?? null,
  };
}

/** Snapshot → grouped view and history point. Pure. */
export function buildView(
  snapshot: Snapshot,
  alerts: readonly Alert[],
  shortId: (key: string) => string = (key) => key,
): View {
  const severity = new Map<string, "critical" | "warning">();
  for (const a of alerts)
    if (a.severity === "critical" || (a.severity === "warning" && !severity.has(a.resource)))
      severity.set(a.resource, a.severity);

  // Gather the raw queues into rows: a group's queue (over its partitions), a group's DLQ, or a lone queue.
  const grouped = new Map<
    string,
    { topic: string; scope: string; group: string; queue: QueueStatus[]; dlq: QueueStatus[] }
  >();
  const loose: QueueStatus[] = [];
  const delays: QueueStatus[] = [];
  for (const q of snapshot.queues) {
    if (q.role === "delay") {
      delays.push(q);
      continue;
    }
    const a = q.address;
    if (a === undefined) {
      loose.push(q);
      continue;
    }
    // RabbitMQ topics are per vhost; a Redis topic spans its partitions' streams.
    const topicScope = q.broker === "rabbitmq" ? q.scope : "";
    const key = JSON.stringify([q.broker, topicScope, a.topic, a.group]);
    const entry = grouped.get(key) ?? {
      topic: a.topic,
      scope: topicScope,
      group: a.group,
      queue: [],
      dlq: [],
    };
    (q.role === "dead-letter" ? entry.dlq : entry.queue).push(q);
    grouped.set(key, entry);
  }

  const points: Record<string, SeriesPoint> = {};
  const deadLetters: DeadLetterView[] = [];
  const total = emptyPoint();
  const publishedStreams = new Set<string>();
  const record = (row: Row): QueueView => {
    points[row.view.id] = pointOf(row.view);
    if (row.view.role === "dead-letter") {
      const d = deadLetterView(row);
      if (d !== null) deadLetters.push(d);
    } else if (row.view.role === "work") {
      total.backlog += row.view.backlog;
      total.inFlight += row.view.inFlight;
      total.deliverRate = sum(total.deliverRate, row.view.deliverRate);
      total.ackRate = sum(total.ackRate, row.view.ackRate);
      total.lag = sum(total.lag, row.view.lag);
      // Redis reports the publish rate per stream, repeated on each of its groups: count each stream once.
      for (const m of row.members) {
        const id = m.broker === "redis" ? `redis\u0000${m.scope}` : JSON.stringify([m.scope, m.name]);
        if (publishedStreams.has(id)) continue;
        publishedStreams.add(id);
        total.publishRate = sum(total.publishRate, m.publishRate);
      }
    }
    return row.view;
  };
  const idOf = (parts: readonly string[]): string => shortId(JSON.stringify(parts));

  const topics = new Map<string, TopicView>();
  for (const [key, e] of [...grouped].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const broker = (e.queue[0] ?? e.dlq[0])?.broker ?? "redis";
    const topicKey = JSON.stringify([broker, e.scope, e.topic]);
    let topic = topics.get(topicKey);
    if (topic === undefined) {
      topic = { topic: e.topic, scope: "", groups: [], orphanDeadLetters: [] };
      topics.set(topicKey, topic);
    }
    const dlq = e.dlq.length > 0 ? record(rowOf(idOf([key, "dlq"]), e.dlq, severity)) : null;
    if (e.queue.length > 0) {
      const queue = record(rowOf(idOf([key, "queue"]), e.queue, severity));
      topic.groups.push({ group: e.group, queue, deadLetter: dlq } satisfies GroupView);
    } else if (dlq !== null) topic.orphanDeadLetters.push(dlq);
  }
  for (const t of topics.values()) {
    const scopes =
      t.groups.length > 0 ? t.groups.map((g) => g.queue.scope) : t.orphanDeadLetters.map((d) => d.scope);
    t.scope = [...new Set(scopes)].join(", ");
  }

  const other = loose.map((q) => record(rowOf(idOf([q.broker, q.scope, q.name]), [q], severity)));
  const delay: DelayLevelsView | null =
    delays.length === 0
      ? null
      : {
          levels: delays.length,
          backlog: delays.reduce((n, q) => n + q.backlog, 0),
          busyLevels: delays.filter((q) => q.backlog > 0).length,
        };
  deadLetters.sort((a, b) => b.count - a.count);
  return { topics: [...topics.values()], other, delay, deadLetters, points, total };
}
