/**
 * The monitoring loop: sample the broker every `intervalMs`, judge the alerts against the previous
 * sample, refresh the metrics, and tell a listener. One sample at a time; a failed sample marks the
 * monitor down (metrics and page say so) and the loop goes on.
 */
import { InvalidOptionsError, summarizeError } from "../core/errors.js";
import { maskSecretsInText } from "../core/redact.js";
import { defaultThresholds, evaluate, type Alert, type AlertThresholds } from "./alerts.js";
import { ConsoleFeed, DEFAULT_HISTORY } from "./console.js";
import { HostMask } from "./hide-hosts.js";
import { MonitorMetrics } from "./metrics.js";
import { RabbitSampler } from "./rabbitmq.js";
import { RedisSampler } from "./redis.js";
import type { Snapshot } from "./snapshot.js";

export interface Sampler {
  readonly target: string;
  sample(): Promise<Snapshot>;
  close?(): Promise<void>;
}

export interface SamplerOptions {
  /** RabbitMQ: only this vhost. */
  vhost?: string;
  /** Redis: SCAN pattern for stream keys. */
  match?: string;
}

/** A sampler for a management URL (`http://user:pass@host:15672`) or a Redis URL (`redis://…`). */
export function createSampler(target: string, options: SamplerOptions = {}): Sampler {
  if (/^https?:\/\//.test(target)) return new RabbitSampler(target, options.vhost);
  if (/^rediss?:\/\//.test(target))
    return new RedisSampler(target, options.match !== undefined ? { match: options.match } : {});
  throw new InvalidOptionsError(
    `mqa monitor watches a RabbitMQ management URL (http://user:pass@host:15672) or a Redis URL (redis://host:6379), not ${maskSecretsInText(target)}`,
  );
}

/** What the monitor knows after a sample. */
export interface MonitorState {
  snapshot: Snapshot | undefined;
  alerts: Alert[];
  /** Why the last sample failed, if it did. */
  error: string | undefined;
  samples: number;
}

export interface MonitorOptions {
  intervalMs: number;
  thresholds?: AlertThresholds;
  /** Samples the console keeps for its charts (a ring buffer). @defaultValue 720 (an hour at 5 s) */
  history?: number;
  /**
   * Show internal host names (the broker's, its nodes') on the page, in `/snapshot.json` and in `/metrics`.
   * By default they are replaced by aliases (`broker-host`, `node-1`…); loopback addresses always show.
   * @defaultValue false
   */
  showHosts?: boolean;
}

export class Monitor {
  readonly metrics = new MonitorMetrics();
  /** What the live page shows: the grouped view, alerts with their age, and the history for the charts. */
  readonly console: ConsoleFeed;
  private current: MonitorState = { snapshot: undefined, alerts: [], error: undefined, samples: 0 };
  /** The state as it is served (page, /snapshot.json, /metrics): internal hosts hidden unless asked. */
  private served: MonitorState = this.current;
  private readonly hosts: HostMask;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly sampler: Sampler,
    private readonly options: MonitorOptions,
    private readonly onSample: (state: MonitorState) => void = () => undefined,
  ) {
    this.hosts = new HostMask(options.showHosts ?? false, sampler.target);
    this.console = new ConsoleFeed(
      this.hosts.text(sampler.target),
      options.intervalMs,
      options.history ?? DEFAULT_HISTORY,
    );
  }

  /** The last sample as taken, for the operator's own terminal. */
  get state(): MonitorState {
    return this.current;
  }

  /** The last sample as it may be served: internal host names hidden unless `showHosts`. */
  get servedState(): MonitorState {
    return this.served;
  }

  get target(): string {
    return this.sampler.target;
  }

  /** The target as it may be served. */
  get servedTarget(): string {
    return this.hosts.text(this.sampler.target);
  }

  /** Take one sample now (the loop uses it too). */
  async sampleOnce(): Promise<MonitorState> {
    const previous = this.current.snapshot;
    try {
      const snapshot = await this.sampler.sample();
      const alerts = evaluate(snapshot, previous, this.options.thresholds ?? defaultThresholds);
      this.current = { snapshot, alerts, error: undefined, samples: this.current.samples + 1 };
      this.served = {
        ...this.current,
        snapshot: this.hosts.snapshot(snapshot),
        alerts: this.hosts.alerts(alerts),
      };
      this.metrics.update(this.served.snapshot!, this.served.alerts);
    } catch (err) {
      this.metrics.down();
      const error = maskSecretsInText(summarizeError(err).message);
      this.current = { ...this.current, error, samples: this.current.samples + 1 };
      this.served = { ...this.served, error: this.hosts.text(error), samples: this.current.samples };
    }
    this.console.update(this.served);
    this.onSample(this.current);
    return this.current;
  }

  /** Sample now and then every `intervalMs` until {@link stop}. */
  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.sampleOnce().then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.sampler.close?.();
  }
}
