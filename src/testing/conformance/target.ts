import type { Transport } from "../../core/transport.js";

/** What the conformance suite runs against: a way to make transports that share one broker. */
export interface ConformanceTarget {
  /** Shown in test names. */
  name: string;
  /**
   * A new transport with its own connections, as a separate process would have. Transports made by
   * one target must share the broker. The suite connects and closes them. When it returns a transport
   * synchronously, it must not connect by itself: the suite reads `features` from one it never connects
   * to decide which cases to register.
   */
  create(): Promise<Transport> | Transport;
  /** How long to wait for something the broker must do (redelivery after a lost consumer, ...). @defaultValue 15000 */
  patienceMs?: number;
  /**
   * Called once at the end with every topic and group the suite declared, so a shared broker does not
   * pile up test queues run after run (hundreds of leftover quorum queues can exhaust RabbitMQ's file
   * handles and stall it).
   */
  cleanup?(declared: Array<{ topic: string; groups: string[] }>): Promise<void>;
  /**
   * For networked transports: the broker's TCP port on 127.0.0.1 and a maker of transports that connect
   * to another port there instead (a `FaultProxy` the suite puts in front of the broker). Enables the
   * reconnect cases; without it they are not registered.
   */
  proxied?: {
    brokerPort: number;
    create(port: number): Promise<Transport> | Transport;
  };
}
