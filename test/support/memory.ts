import { randomUUID } from "node:crypto";
import { MemoryBroker } from "../../src/transports/memory/broker.js";
import { MemoryTransport } from "../../src/transports/memory/transport.js";

/** A fresh in-memory broker and a connected transport on it. */
export async function memoryTransport(): Promise<MemoryTransport> {
  const t = new MemoryTransport({ broker: new MemoryBroker() });
  await t.connect();
  return t;
}

export const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
export const topicName = (what: string): string => `test.${what}.${randomUUID().slice(0, 8)}`;
export const asJson = { contentType: "application/json" } as const;
