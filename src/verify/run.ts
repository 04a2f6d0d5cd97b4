/**
 * `runVerify`: publish N sequence-numbered messages with confirms while K consumers process them and
 * faults strike at seeded points, then reconcile every sequence number against what the consumers
 * processed and what the dead-letter queue holds. This file runs the phases (set up, traffic, settle,
 * reconcile, clean up); faults live in ./faults.ts, the report in ./report.ts.
 */
import { randomBytes, randomInt } from "node:crypto";
import { removeTopic } from "../cleanup/remove-topic.js";
import { createTransport } from "../connect.js";
import type { Transport } from "../core/transport.js";
import type { OwnedBroker } from "./broker-control.js";
import { spawnBroker } from "./broker-control.js";
import { ChildConsumer, InProcessConsumer } from "./consumers.js";
import type { VerifyConsumer } from "./consumers.js";
import type { PlannedFault } from "./fault-plan.js";
import { planFaults } from "./fault-plan.js";
import { applicableFaults, FaultScheduler } from "./faults.js";
import { Ledger } from "./ledger.js";
import type { ProxiedBroker } from "./network.js";
import { proxyBroker } from "./network.js";
import type { VerifyOptions } from "./options.js";
import { resolveVerifyOptions } from "./options.js";
import { publishAll } from "./publish.js";
import { buildReport, type VerifyProgress, type VerifyReport } from "./report.js";
import { decodeVerifyPayload, seqFromHeaders } from "./sequence.js";
import type { WorkerConfig, WorkerEvent, WorkerRedisOptions } from "./worker.js";

export type { InjectedFault, VerifyProgress, VerifyReport } from "./report.js";

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
  const cleanups: Array<() => Promise<void>> = [];

  let owned: OwnedBroker | undefined;
  let proxied: ProxiedBroker | undefined;
  const consumers: VerifyConsumer[] = [];
  let admin: Transport | undefined;
  let publisher: Transport | undefined;
  try {
    if (o.spawnBroker || o.cluster !== undefined) {
      owned = await spawnBroker(o.broker, o.cluster);
      cleanups.push(() => (owned as OwnedBroker).stop());
      notes.push(`broker started for this run: ${owned.description}`);
    }
    const brokerUrl = owned?.url ?? o.broker;
    const tls = o.tls ? { tls: o.tls } : {};
    // On a cluster every client gets every node's URL (and moves to a survivor when its node dies).
    const clusterUrls = owned?.urls ? { clusterUrls: [...owned.urls] } : {};
    // Redis: cluster mode on a Redis Cluster (the URL is a seed node), and WAIT for replicas on every publish.
    const isRedis = /^rediss?:/i.test(brokerUrl);
    const redisSettings: WorkerRedisOptions = {
      ...(owned?.cluster === "redis" ? { cluster: true } : {}),
      ...(o.durabilityReplicas > 0 ? { durability: { replicas: o.durabilityReplicas } } : {}),
    };
    const redis = isRedis && Object.keys(redisSettings).length > 0 ? { redis: redisSettings } : {};
    if (isRedis && o.durabilityReplicas === 0) {
      notes.push(
        "durability replicas 0: confirmed writes acknowledged by no replica can be lost when a primary fails; " +
          "run with --durability-replicas 1",
      );
    } else if (isRedis) {
      notes.push(
        `durability replicas ${o.durabilityReplicas}: a publish is confirmed only once ` +
          `${o.durabilityReplicas === 1 ? "a replica has" : `${o.durabilityReplicas} replicas have`} the write ` +
          "(WAIT); otherwise it rejects with durability-not-met",
      );
    }
    admin = await createTransport(brokerUrl, { ...tls, ...clusterUrls, ...redis });
    await admin.connect();
    await admin.declare({ topic, group, deadLetter: true });
    const crossProcess = admin.features.crossProcess;

    const { active, skipped } = applicableFaults(o.faults, brokerUrl, owned !== undefined, owned?.cluster);
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
    // The topic's stream (one partition, mqa's default key prefix): kill-primary and move-slot act on its slot.
    const streamKey =
      owned?.cluster === "redis"
        ? new (await import("../transports/redis/layout.js")).RedisKeyNames().stream(topic)
        : undefined;
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
      ...tls,
      ...clusterUrls,
      ...redis,
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

    publisher = await createTransport(clientUrl, { ...tls, ...clusterUrls, ...redis });
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
    const faults = new FaultScheduler(
      plan.faults,
      { consumers, newConsumer, proxied, owned, queue: `${topic}.${group}`, streamKey },
      trafficStarted,
      () => (lastMove = Date.now()),
      (note) => notes.push(note),
    );

    let endedBy: VerifyReport["endedBy"] = "complete";
    let lastDone = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const done = ledger.confirmed + ledger.rejected + ledger.consumed + ledger.deadLetterIntents;
      if (done !== lastDone) {
        lastDone = done;
        lastMove = Date.now();
      }
      // Kills strike mid-consumption (so the victim holds processed, unacked messages); cuts and node kills
      // strike on overall progress, so they also hit the publisher while it is still publishing. A Redis
      // Cluster's primary kill and slot move strike on publishing progress: publishing to a cluster outruns
      // consuming, and what they test is what a confirmed publish is worth while the slot changes hands.
      const consumedShare = (ledger.consumed + ledger.deadLetterIntents) / o.messages;
      const publishedShare = (ledger.confirmed + ledger.rejected) / o.messages;
      const progressFor = (f: PlannedFault): number =>
        f.kind === "consumer-kill"
          ? consumedShare
          : f.kind === "kill-primary" || f.kind === "move-slot"
            ? publishedShare
            : done / (2 * o.messages);
      faults.strikeDue(progressFor);
      onProgress?.({
        total: o.messages,
        published: ledger.published,
        confirmed: ledger.confirmed,
        consumed: ledger.consumed,
        deadLettering: ledger.deadLetterIntents,
        duplicates: ledger.duplicates,
        faultsInjected: faults.injected.length,
      });
      if (!publishing && !faults.busy && ledger.allConfirmedAccounted()) break;
      if (Date.now() - lastMove > o.idleTimeoutMs && !faults.busy) {
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
    await faults.settled();
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
    // A private broker is removed with everything on it; only a broker the run did not start needs cleaning.
    if (o.cleanup && !owned) {
      await removeTopic(brokerUrl, topic, [group], tls).catch((err: unknown) =>
        notes.push(`could not remove ${topic}: ${err instanceof Error ? err.message : String(err)}`),
      );
    } else if (!o.cleanup) notes.push(`kept ${topic} (group ${group}) on the broker`);
    return buildReport(o, {
      summary: ledger.summary(),
      brokerUrl,
      transport: admin.name,
      run,
      topic,
      group,
      seed,
      crossProcess,
      active,
      skipped,
      plan,
      injected: faults.injected,
      rejections,
      restarts: faults.restarts,
      notes,
      endedBy,
      durationMs: Date.now() - started,
    });
  } finally {
    await Promise.allSettled(consumers.map((c) => c.kill()));
    await publisher?.close({ timeoutMs: 5000 }).catch(() => undefined);
    await admin?.close({ timeoutMs: 5000 }).catch(() => undefined);
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}
