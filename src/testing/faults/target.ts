import type { Transport } from "../../core/transport.js";

/**
 * What the fault suite runs against: a networked transport on a private broker it may cut off, restart
 * and crash-loop, without disturbing any other test.
 */
export interface FaultTarget {
  /** Shown in test names. */
  name: string;
  /**
   * Start a private broker (its own port, node name and data directory, e.g. with `RabbitMqLauncher` or
   * `RedisServerProcess`). Called once per test file.
   */
  start(): Promise<PrivateBroker>;
  /**
   * The `reason` the transport writes on a message its delivery limit dead-letters (the limit set by
   * `PrivateBroker.create`'s `deliveryLimit`), e.g. "delivery-limit".
   */
  deliveryLimitReason: string;
  /** How long to wait for something the broker must do. @defaultValue 30000 */
  patienceMs?: number;
  /** How long `start()` may take. @defaultValue 120000 */
  startTimeoutMs?: number;
}

/** A broker only this suite uses. */
export interface PrivateBroker {
  /** Its TCP port on 127.0.0.1 (the suite puts a `FaultProxy` in front of it). */
  readonly port: number;
  /**
   * A transport that connects to 127.0.0.1:`port` (the broker's own port, or a fault proxy's), with short
   * reconnect back-off and publish timeouts long enough to ride out a restart (a minute). With
   * `deliveryLimit`, the transport dead-letters a message after that many deliveries that never settled.
   */
  create(port: number, options?: { deliveryLimit?: number }): Promise<Transport> | Transport;
  /** Stop the broker abruptly and start it again on the same port with its data. */
  restart(): Promise<void>;
  /** Stop it for good and remove its data. */
  stop(): Promise<void>;
}
