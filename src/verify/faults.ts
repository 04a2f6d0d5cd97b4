/**
 * Fault scheduling for a verify run: which requested faults can strike on this broker, and a scheduler that
 * strikes each planned fault once progress passes its point — one after another, since a kill must not hit a
 * replacement consumer that is still starting. The run loop only reports progress; everything about faults is here.
 */
import { waitFor } from "../brokers/local/wait.js";
import type { ClusterKind, OwnedBroker } from "./broker-control.js";
import type { VerifyConsumer } from "./consumers.js";
import type { FaultKind, PlannedFault } from "./fault-plan.js";
import { isNetworkUrl, type ProxiedBroker } from "./network.js";
import type { InjectedFault, VerifyReport } from "./report.js";

/** Why a cluster fault cannot strike on this run, or undefined when it can. */
function clusterFaultSkipReason(kind: FaultKind, cluster: ClusterKind | undefined): string | undefined {
  if (kind === "kill-leader" && cluster !== "rabbitmq") {
    return cluster === "redis"
      ? "a RabbitMQ quorum-queue fault; on a Redis Cluster, kill-primary kills the primary of the topic's slot"
      : "needs a private cluster to kill a node of; run with --cluster 3 (amqp://)";
  }
  if ((kind === "kill-primary" || kind === "move-slot") && cluster !== "redis") {
    return cluster === "rabbitmq"
      ? "a Redis Cluster fault; on a RabbitMQ cluster, kill-leader kills the node of the queue's leader"
      : "needs a private Redis Cluster; run with --cluster 3 (redis://)";
  }
  return undefined;
}

/**
 * Split the requested faults into those this broker allows and those skipped, each with its reason.
 * `cluster`: what the run's private cluster is made of, if it has one.
 */
export function applicableFaults(
  requested: readonly FaultKind[],
  brokerUrl: string,
  ownsBroker: boolean,
  cluster?: ClusterKind,
): { active: FaultKind[]; skipped: VerifyReport["skippedFaults"] } {
  const active: FaultKind[] = [];
  const skipped: VerifyReport["skippedFaults"] = [];
  for (const kind of requested) {
    const clusterReason = clusterFaultSkipReason(kind, cluster);
    if (clusterReason !== undefined) {
      skipped.push({ kind, reason: clusterReason });
    } else if (cluster && (kind === "connection-cut" || kind === "broker-restart")) {
      skipped.push({
        kind,
        reason:
          "not on a cluster run: clients connect to every node directly, and " +
          `${cluster === "redis" ? "kill-primary" : "kill-leader"} takes a node down`,
      });
    } else if (kind === "connection-cut" && !isNetworkUrl(brokerUrl)) {
      skipped.push({ kind, reason: `${new URL(brokerUrl).protocol}// has no network connection to cut` });
    } else if (kind === "broker-restart" && !ownsBroker) {
      skipped.push({ kind, reason: "mqa only restarts a broker it started itself; run with --spawn-broker" });
    } else active.push(kind);
  }
  return { active, skipped };
}

/** What faults act on: the consumer slots (replaced after a kill), the proxy and the broker, if any. */
export interface FaultTargets {
  /** The run's consumer slots; a killed consumer's slot gets its replacement. */
  readonly consumers: VerifyConsumer[];
  newConsumer(): VerifyConsumer;
  readonly proxied?: ProxiedBroker | undefined;
  readonly owned?: OwnedBroker | undefined;
  /** The run's quorum queue (kill-leader kills the node of its leader). */
  readonly queue?: string | undefined;
  /** The run's stream key (kill-primary and move-slot act on its cluster slot). */
  readonly streamKey?: string | undefined;
}

/** Strikes planned faults in order as progress passes their points; records what happened. */
export class FaultScheduler {
  /** Faults as they happened, in the order they struck. */
  readonly injected: InjectedFault[] = [];
  /** Consumers started to replace killed ones. */
  restarts = 0;
  readonly #pending: PlannedFault[];
  readonly #running = new Set<Promise<void>>();
  #chain: Promise<void> = Promise.resolve();
  readonly #connectionsBeforeCut: number;

  /**
   * @param startedAt when traffic started (fault times are relative to it)
   * @param onActivity called after each fault, so the run's idle clock restarts
   * @param onFailure a fault that could not be carried out, as a note for the report
   */
  constructor(
    plan: readonly PlannedFault[],
    private readonly targets: FaultTargets,
    private readonly startedAt: number,
    private readonly onActivity: () => void,
    private readonly onFailure: (note: string) => void,
  ) {
    this.#pending = [...plan];
    this.#connectionsBeforeCut = targets.proxied ? Math.max(1, targets.proxied.proxy.connections) : 0;
  }

  /** True while a fault is being carried out. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /**
   * Start every pending fault whose point `progressFor` has reached (progress in [0, 1] as that fault
   * measures it); they run one after another in the background.
   */
  strikeDue(progressFor: (f: PlannedFault) => number): void {
    while (
      this.#pending.length > 0 &&
      (this.#pending[0] as PlannedFault).at <= progressFor(this.#pending[0] as PlannedFault)
    ) {
      const f = this.#pending.shift() as PlannedFault;
      const p = (this.#chain = this.#chain.then(() =>
        this.#inject(f).catch((err: unknown) => {
          this.onFailure(`fault ${f.kind} failed: ${err instanceof Error ? err.message : String(err)}`);
        }),
      ));
      this.#running.add(p);
      void p.finally(() => this.#running.delete(p));
    }
  }

  /** Wait for faults already started to finish. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }

  async #inject(f: PlannedFault): Promise<void> {
    const atMs = Date.now() - this.startedAt;
    const { consumers, proxied, owned } = this.targets;
    if (f.kind === "consumer-kill") {
      const slot = f.target % consumers.length;
      const victim = consumers[slot] as VerifyConsumer;
      await victim.kill();
      this.injected.push({
        kind: f.kind,
        atMs,
        detail:
          victim.kind === "process"
            ? `SIGKILL consumer ${victim.id} (pid ${victim.pid})`
            : `abort consumer ${victim.id} (in-process)`,
      });
      const replacement = this.targets.newConsumer();
      consumers[slot] = replacement;
      await replacement.start();
      this.restarts++;
    } else if (f.kind === "connection-cut" && proxied) {
      // Cut live connections, not the empty gap right after a previous cut: wait for clients to reconnect.
      const proxy = proxied.proxy;
      await waitFor(
        () => proxy.connections >= this.#connectionsBeforeCut,
        10_000,
        "clients to reconnect",
      ).catch(() => undefined);
      const n = proxy.connections;
      proxy.cut();
      this.injected.push({
        kind: f.kind,
        atMs,
        detail: `reset ${n} TCP connections through the fault proxy`,
      });
    } else if (f.kind === "kill-leader" && owned?.killLeader && this.targets.queue !== undefined) {
      const detail = await owned.killLeader(this.targets.queue);
      this.injected.push({ kind: f.kind, atMs, detail });
    } else if (f.kind === "kill-primary" && owned?.killPrimary && this.targets.streamKey !== undefined) {
      const detail = await owned.killPrimary(this.targets.streamKey);
      this.injected.push({ kind: f.kind, atMs, detail });
    } else if (f.kind === "move-slot" && owned?.moveSlot && this.targets.streamKey !== undefined) {
      const detail = await owned.moveSlot(this.targets.streamKey);
      this.injected.push({ kind: f.kind, atMs, detail });
    } else if (f.kind === "broker-restart" && owned) {
      this.injected.push({ kind: f.kind, atMs, detail: `restarting ${owned.description}` });
      await owned.restart();
    }
    this.onActivity();
  }
}
