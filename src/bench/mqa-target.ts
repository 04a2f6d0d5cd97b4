/** The mqa side of the benchmark: any {@link Transport}, driven through the public contract only. */
import type { Transport } from "../core/transport.js";
import type { BenchQueue, BenchTarget } from "./target.js";

const GROUP = "bench";

/** mqa over `transport`; `cleanup(topic, group)` removes what a round declared (broker-specific). */
export function mqaTarget(
  transport: Transport,
  cleanup: (topic: string, group: string) => Promise<void> = async () => undefined,
): BenchTarget {
  return {
    label: "mqa",
    async open(name: string): Promise<BenchQueue> {
      await transport.connect();
      await transport.declare({ topic: name, group: GROUP, deadLetter: true });
      return {
        publish: async (payload) => {
          await transport.publish(name, { payload, contentType: "application/octet-stream" });
        },
        consume: async (prefetch, onMessage) => {
          const sub = await transport.subscribe(
            name,
            GROUP,
            async (d) => {
              onMessage(
                Buffer.from(
                  d.message.payload.buffer,
                  d.message.payload.byteOffset,
                  d.message.payload.byteLength,
                ),
              );
              await d.ack();
            },
            { prefetch },
          );
          return () => sub.close({ timeoutMs: 5000 });
        },
        dispose: () => cleanup(name, GROUP),
      };
    },
    close: () => transport.close({ timeoutMs: 5000 }),
  };
}
