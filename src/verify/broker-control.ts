/**
 * A broker that `mqa verify --spawn-broker` started itself, so `broker-restart` may restart it. mqa
 * never restarts a broker it did not start.
 */
import { MqaError } from "../core/errors.js";

/** A broker this process owns. */
export interface OwnedBroker {
  /** URL of the broker (credentials included; mask before printing). */
  readonly url: string;
  /** What it is, for the report (`RabbitMQ 4.0.5 on port 41234`). */
  readonly description: string;
  /** Stop and start it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stop it and remove what it created. */
  stop(): Promise<void>;
}

type Launcher = () => Promise<OwnedBroker>;

/** Launchers by URL scheme; filled from the transports' broker launchers in src/testing/. */
const launchers: Record<string, () => Promise<Launcher | undefined>> = {};

/** Start a broker of the same kind as `url` on a free port; throws `unsupported` when mqa has no launcher for it. */
export async function spawnBroker(url: string): Promise<OwnedBroker> {
  const protocol = new URL(url).protocol;
  const launcher = await launchers[protocol]?.();
  if (!launcher) {
    throw new MqaError(
      "unsupported",
      `--spawn-broker is not available for ${protocol}// in this build (no broker launcher); ` +
        "run without it (broker-restart is then skipped)",
    );
  }
  return launcher();
}
