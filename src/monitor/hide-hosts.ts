/**
 * What the monitor serves (the live page, `/snapshot.json`, `/metrics`) names no internal host unless the
 * operator asks (`--show-hosts`): broker and node host names are replaced by stable aliases (`broker-host`,
 * `node-1`, `node-2`…). They would otherwise tell anyone who can read the page the layout of the network
 * behind it. Loopback addresses are no secret and stay. The terminal report of `mqa monitor` is for the
 * operator running it and is left as it is.
 *
 * Host names are known, not guessed: the target URL's host and the host part of every node name
 * (`rabbit@<host>`). They are replaced where they stand as hosts: after `@` or `//`, so a queue that happens
 * to share a word with a host name keeps its name.
 */
import type { Alert } from "./alerts.js";
import type { Snapshot } from "./snapshot.js";

const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export class HostMask {
  private readonly aliases = new Map<string, string>();
  private pattern: RegExp | undefined;

  /** `reveal`: show hosts as they are (the `--show-hosts` flag). */
  constructor(
    private readonly reveal: boolean,
    target: string,
  ) {
    try {
      this.learn(new URL(target).hostname, "broker-host");
    } catch {
      // not a URL: nothing to hide in it
    }
  }

  private learn(host: string, alias?: string): void {
    if (this.reveal || host === "" || isLoopback(host) || this.aliases.has(host)) return;
    this.aliases.set(
      host,
      alias ?? `node-${[...this.aliases.values()].filter((a) => a.startsWith("node-")).length + 1}`,
    );
    const hosts = [...this.aliases.keys()].sort((a, b) => b.length - a.length).map(escape);
    this.pattern = new RegExp(`(?<=@|//)(${hosts.join("|")})(?![A-Za-z0-9.-]*[A-Za-z0-9])`, "g");
  }

  /** `text` with every known host replaced by its alias. */
  text(text: string): string {
    if (this.pattern === undefined) return text;
    return text.replace(this.pattern, (host) => this.aliases.get(host) ?? host);
  }

  /** The snapshot as it may be served: node names, URLs in commands and notes without internal hosts. */
  snapshot(s: Snapshot): Snapshot {
    for (const n of s.health?.nodes ?? []) {
      const at = n.name.indexOf("@");
      if (at >= 0) this.learn(n.name.slice(at + 1));
      for (const p of n.partitions) if (p.includes("@")) this.learn(p.slice(p.indexOf("@") + 1));
    }
    if (this.pattern === undefined) return s;
    const t = (x: string): string => this.text(x);
    return {
      ...s,
      target: t(s.target),
      gaps: s.gaps.map(t),
      queues: s.queues.map((q) =>
        q.deadLetters === undefined
          ? q
          : {
              ...q,
              deadLetters: {
                ...q.deadLetters,
                commands: {
                  ...q.deadLetters.commands,
                  stats: t(q.deadLetters.commands.stats),
                  redrive: t(q.deadLetters.commands.redrive),
                },
              },
            },
      ),
      health: s.health && {
        ...s.health,
        nodes: s.health.nodes.map((n) => ({ ...n, name: t(n.name), partitions: n.partitions.map(t) })),
      },
    };
  }

  alerts(alerts: readonly Alert[]): Alert[] {
    return alerts.map((a) =>
      this.pattern === undefined
        ? a
        : { ...a, resource: this.text(a.resource), message: this.text(a.message), fix: this.text(a.fix) },
    );
  }
}
