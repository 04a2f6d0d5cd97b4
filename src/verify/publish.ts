/**
 * The publishing side of a verify run: every sequence number once, with confirms, at most `window`
 * unconfirmed at a time. A publish that rejects is recorded as `rejected` (the caller was told), with
 * its error code, and not retried: verify measures what the library guarantees, not an app's policy.
 */
import { MqaError } from "../core/errors.js";
import type { Transport } from "../core/transport.js";
import type { Ledger } from "./ledger.js";
import { encodeVerifyPayload, preciseNow, VERIFY_RUN_HEADER, VERIFY_SEQ_HEADER } from "./sequence.js";

export interface PublishAllOptions {
  transport: Transport;
  topic: string;
  run: string;
  messages: number;
  window: number;
  ledger: Ledger;
  /** Rejections by error code. */
  rejections: Map<string, number>;
  signal: AbortSignal;
}

/** Publish sequence numbers 0..messages-1 with confirms. Resolves when every publish has settled. */
export async function publishAll(o: PublishAllOptions): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < o.messages && !o.signal.aborted) {
      const seq = next++;
      const sentAt = preciseNow();
      o.ledger.recordPublished();
      try {
        await o.transport.publish(o.topic, {
          id: `${o.run}-${seq}`,
          payload: encodeVerifyPayload({ run: o.run, seq, poison: o.ledger.isPoison(seq), sentAt }),
          contentType: "application/json",
          headers: { [VERIFY_RUN_HEADER]: o.run, [VERIFY_SEQ_HEADER]: String(seq) },
        });
        o.ledger.recordConfirmed(seq);
      } catch (err) {
        const code = MqaError.is(err) ? err.code : "other";
        o.ledger.recordRejected(seq, code);
        o.rejections.set(code, (o.rejections.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.window, o.messages) }, lane));
}
