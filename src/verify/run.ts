/**
 * `runVerify`: publish N sequence-numbered messages with confirms while K consumers process them and
 * faults strike at seeded points, then reconcile every sequence number against what the consumers
 * processed and what the dead-letter queue holds.
 */
import { randomBytes, randomInt } from "node:crypto";
import { removeTopic } from "../cleanup/remove-topic.js";
import { createTransport } from "../connect.js";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import type { Transport } from "../core/transport.js";
import type { OwnedBroker } from "./broker-control.js";
import { spawnBroker } from "./broker-control.js";
import { ChildConsumer, InProcessConsumer } from "./consumers.js";
import type { VerifyConsumer } from "./consumers.js";
import type { FaultKind, PlannedFault } from "./fault-plan.js";
import { planFaults } from "./fault-plan.js";
import { Ledger } from "./ledger.js";
import type { LedgerSummary } from "./ledger.js";
import type { ProxiedBroker } from "./network.js";
import { isNetworkUrl, proxyBroker } from "./network.js";
import type { VerifyOptions } from "./options.js";
import { resolveVerifyOptions } from "./options.js";
import { publishAll } from "./publish.js";
import { waitFor } from "../brokers/local/wait.js";
import { decodeVerifyPayload, seqFromHeaders } from "./sequence.js";
import type { WorkerConfig, WorkerEvent } from "./worker.js";

/** One fault as it happened. */
export interface InjectedFault {
  kind: FaultKind;
  /** Milliseconds after publishing started. */
  atMs: number;
  detail: string;
}

/** The reconciled outcome of a verify run. */
export interface VerifyReport extends LedgerSummary {
  /** True when nothing was lost. */
  ok: boolean;
  /** Broker URL with the password masked. */
  broker: string;
  transport: string;
  run: string;
  topic: string;
  group: string;
  seed: number;
  messages: number;
  consumers: number;
  prefetch: number;
  publishWindow: number;
  attempts: number;
  consumerMode: "process" | "in-process";
  faultsRequested: FaultKind[];
  faultsInjected: number;
  faults: InjectedFault[];
  skippedFaults: Array<{ kind: FaultKind; reason: string }>;
  poisonPlanned: number;
  rejections: Record<string, number>;
  consumerRestarts: number;
  notes: string[];
  endedBy: "complete" | "idle-timeout" | "timeout";
  durationMs: number;
}

/** Live counters for a progress line. */
export interface VerifyProgress {
  total: number;
  published: number;
  confirmed: number;
  consumed: number;
  deadLettering: number;
  duplicates: number;
  faultsInjected: number;
}

/** Run a verification. Resolves with the report; never throws because something was lost. */
export async function runVerify(
  input: VerifyOptions,
  onProgress?: (p: VerifyProgress) => void,
): Promise<VerifyReport> {
  const o = resolveVerifyOptions(input);
  const started = Date.now();
  const run = randomBytes(4).toString("hex");
  const seed = o.seed ?? randomInt(0, 2 ** 31);
  const topic = `mqa.verify.${run}`;
  const group = "verify";
  const notes: string[] = [];
  const skipped: VerifyReport["skippedFaults"] = [];
  const cleanups: Array<() => Promise<void>> = [];

  let owned: OwnedBroker | undefined;
  let proxied: ProxiedBroker | undefined;
  const consumers: VerifyConsumer[] = [];
  let admin: Transport | undefined;
  let publisher: Transport | undefined;
  try {
    if (o.spawnBroker) {
      owned = await spawnBroker(o.broker);
      cleanups.push(() => (owned as OwnedBroker).stop());
      notes.push(`broker started for this run: ${owned.description}`);
    }
    const brokerUrl = owned?.url ?? o.broker;
    admin = await createTransport(brokerUrl);
    await admin.connect();
    await admin.declare({ topic, group, deadLetter: true });
    const crossProcess = admin.features.crossProcess;

    const active: FaultKind[] = [];
    for (const kind of o.faults) {
      if (kind === "connection-cut" && !isNetworkUrl(brokerUrl)) {
        skipped.push({ kind, reason: `${new URL(brokerUrl).protocol}// has no network connection to cut` });
      } else if (kind === "broker-restart" && !owned) {
        skipped.push({
          kind,
          reason: "mqa only restarts a broker it started itself; run with --spawn-broker",
        });
      } else active.push(kind);
    }
    if (!crossProcess) {
      notes.push(
        `${admin.name} broker lives inside this process, so consumers run in-process, each with its own ` +
          "transport; consumer-kill is transport.abort() (the connection drops, nothing held is acked), not SIGKILL",
      );
    }
    if (active.includes("connection-cut")) {
      proxied = await proxyBroker(brokerUrl);
      cleanups.push(() => (proxied as ProxiedBroker).proxy.stop());
      notes.push(
        "publisher and consumers connect through mqa's TCP fault proxy; the checker connects directly",
      );
    }
    const clientUrl = proxied?.url ?? brokerUrl;
    const plan = planFaults(seed, active, o.messages, o.consumers);
    const ledger = new Ledger(o.messages, plan.poison);
    let lastMove = Date.now();
    const onEvent = (e: WorkerEvent): void => {
      lastMove = Date.now();
      if (e.t === "consumed") ledger.recordConsumed(e.seq, e.at - e.sentAt);
      else ledger.recordDeadLetterIntent(e.seq);
    };
    const workerConfig: WorkerConfig = {
      url: clientUrl,
      topic,
      group,
      run,
      prefetch: o.prefetch,
      attempts: o.attempts,
      workMs: o.workMs,
      ...(o.testDropEvery === undefined ? {} : { dropEvery: o.testDropEvery }),
    };
    let nextId = 0;
    const newConsumer = (): VerifyConsumer =>
      crossProcess
        ? new ChildConsumer(nextId++, workerConfig, onEvent)
        : new InProcessConsumer(nextId++, workerConfig, onEvent);
    for (let i = 0; i < o.consumers; i++) consumers.push(newConsumer());
    await Promise.all(consumers.map((c) => c.start()));

    publisher = await createTransport(clientUrl);
    await publisher.connect();
    const trafficStarted = Date.now();
    const abort = new AbortController();
    const rejections = new Map<string, number>();
    let publishing = true;
    const published = publishAll({
      transport: publisher,
      topic,
      run,
      messages: o.messages,
      window: o.publishWindow,
      ledger,
      rejections,
      signal: abort.signal,
    }).finally(() => (publishing = false));

    // Faults: each strikes when progress passes its point; kills are replaced so K consumers remain.
    const injected: InjectedFault[] = [];
    const connectionsBeforeCut = proxied ? Math.max(1, proxied.proxy.connections) : 0;
    const pendingFaults = [...plan.faults];
    const running = new Set<Promise<void>>();
    // Faults strike one after another: a kill must not hit a replacement that is still starting.
    let chain: Promise<void> = Promise.resolve();
    let restarts = 0;
    const inject = async (f: PlannedFault): Promise<void> => {
      const atMs = Date.now() - trafficStarted;
      if (f.kind === "consumer-kill") {
        const slot = f.target % consumers.length;
        const victim = consumers[slot] as VerifyConsumer;
        await victim.kill();
        injected.push({
          kind: f.kind,
          atMs,
          detail:
            victim.kind === "process"
              ? `SIGKILL consumer ${victim.id} (pid ${victim.pid})`
              : `abort consumer ${victim.id} (in-process)`,
        });
        const replacement = newConsumer();
        consumers[slot] = replacement;
        await replacement.start();
        restarts++;
      } else if (f.kind === "connection-cut" && proxied) {
        // Cut live connections, not the empty gap right after a previous cut: wait for clients to reconnect.
        const proxy = proxied.proxy;
        await waitFor(() => proxy.connections >= connectionsBeforeCut, 10_000, "clients to reconnect").catch(
          () => undefined,
        );
        const n = proxy.connections;
        proxied.proxy.cut();
        injected.push({ kind: f.kind, atMs, detail: `reset ${n} TCP connections through the fault proxy` });
      } else if (f.kind === "broker-restart" && owned) {
        injected.push({ kind: f.kind, atMs, detail: `restarting ${owned.description}` });
        await owned.restart();
      }
      lastMove = Date.now();
    };

    let endedBy: VerifyReport["endedBy"] = "complete";
    let lastDone = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const done = ledger.confirmed + ledger.rejected + ledger.consumed + ledger.deadLetterIntents;
      if (done !== lastDone) {
        lastDone = done;
        lastMove = Date.now();
      }
      // Kills strike mid-consumption (so the victim holds processed, unacked messages); cuts strike on
      // overall progress, so they also hit the publisher while it is still publishing.
      const consumedShare = (ledger.consumed + ledger.deadLetterIntents) / o.messages;
      const progressFor = (f: PlannedFault): number =>
        f.kind === "consumer-kill" ? consumedShare : done / (2 * o.messages);
      while (
        pendingFaults.length > 0 &&
        (pendingFaults[0] as PlannedFault).at <= progressFor(pendingFaults[0] as PlannedFault)
      ) {
        const f = pendingFaults.shift() as PlannedFault;
        const p = (chain = chain.then(() =>
          inject(f).catch((err: unknown) => {
            notes.push(`fault ${f.kind} failed: ${err instanceof Error ? err.message : String(err)}`);
          }),
        ));
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      onProgress?.({
        total: o.messages,
        published: ledger.published,
        confirmed: ledger.confirmed,
        consumed: ledger.consumed,
        deadLettering: ledger.deadLetterIntents,
        duplicates: ledger.duplicates,
        faultsInjected: injected.length,
      });
      if (!publishing && running.size === 0 && ledger.allConfirmedAccounted()) break;
      if (Date.now() - lastMove > o.idleTimeoutMs && running.size === 0) {
        endedBy = "idle-timeout";
        break;
      }
      if (Date.now() - started > o.timeoutMs) {
        endedBy = "timeout";
        break;
      }
    }
    abort.abort();
    await published;
    await Promise.allSettled(running);
    // Let redeliveries of messages held by killed consumers land, so duplicates are counted.
    await new Promise((r) => setTimeout(r, 500));
    await Promise.allSettled(consumers.map((c) => c.stop()));

    const deadLetters = await admin.readDeadLetters(topic, group, o.messages + 100);
    for (const d of deadLetters) {
      const seq = seqFromHeaders(d.headers) ?? decodeVerifyPayload(d.message.payload)?.seq;
      if (seq !== undefined) ledger.recordDeadLettered(seq);
    }
    if (ledger.strays > 0) notes.push(`${ledger.strays} reports carried sequence numbers outside this run`);
    if (o.testDropEvery !== undefined)
      notes.push(
        `TEST ONLY: consumers dropped every message whose number is a multiple of ${o.testDropEvery}`,
      );
    if (o.cleanup) {
      await removeTopic(brokerUrl, topic, [group]).catch((err: unknown) =>
        notes.push(`could not remove ${topic}: ${err instanceof Error ? err.message : String(err)}`),
      );
    } else notes.push(`kept ${topic} (group ${group}) on the broker`);
    const summary = ledger.summary();
    return {
      ...summary,
      ok: summary.lost === 0,
      broker: maskUrl(brokerUrl),
      transport: admin.name,
      run,
      topic,
      group,
      seed,
      messages: o.messages,
      consumers: o.consumers,
      prefetch: o.prefetch,
      publishWindow: o.publishWindow,
      attempts: o.attempts,
      consumerMode: crossProcess ? "process" : "in-process",
      faultsRequested: o.faults,
      // Each poison message is one injected fault; each kill, cut or restart is one.
      faultsInjected: injected.length + plan.poison.length,
      faults: [
        ...(active.includes("poison")
          ? [
              {
                kind: "poison" as const,
                atMs: 0,
                detail: `${plan.poison.length} poison messages (always fail)`,
              },
            ]
          : []),
        ...injected.sort((a, b) => a.atMs - b.atMs),
      ],
      skippedFaults: skipped,
      poisonPlanned: plan.poison.length,
      rejections: Object.fromEntries(rejections),
      consumerRestarts: restarts,
      // Notes can quote client errors; never let a password through.
      notes: notes.map(maskSecretsInText),
      endedBy,
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.allSettled(consumers.map((c) => c.kill()));
    await publisher?.close({ timeoutMs: 5000 }).catch(() => undefined);
    await admin?.close({ timeoutMs: 5000 }).catch(() => undefined);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
