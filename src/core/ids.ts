import { randomUUID } from "node:crypto";

/** A new message id: a random UUID (v4). */
export function newMessageId(): string {
  return randomUUID();
}
