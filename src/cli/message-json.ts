/**
 * One message as one JSON line, for `mqa consume` and `mqa tail`. JSON payloads stay JSON, text stays
 * text, anything else is base64 (`payloadEncoding` says which).
 */
import type { Message } from "../core/message.js";

export interface MessageLine {
  id: string;
  topic: string;
  group?: string;
  key?: string;
  attempt: number;
  timestamp: string;
  contentType?: string;
  headers: Readonly<Record<string, string>>;
  correlationId?: string;
  payloadEncoding: "json" | "utf8" | "base64";
  payload: unknown;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodePayload(bytes: Uint8Array): Pick<MessageLine, "payload" | "payloadEncoding"> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { payloadEncoding: "base64", payload: Buffer.from(bytes).toString("base64") };
  }
  try {
    return { payloadEncoding: "json", payload: JSON.parse(text) as unknown };
  } catch {
    return { payloadEncoding: "utf8", payload: text };
  }
}

/** The JSON line for `message` (without the trailing newline); `extra` fields are appended. */
export function messageLine(message: Message, group?: string, extra: Record<string, unknown> = {}): string {
  const line: MessageLine & Record<string, unknown> = {
    id: message.id,
    topic: message.topic,
    ...(group === undefined ? {} : { group }),
    ...(message.key === undefined ? {} : { key: message.key }),
    attempt: message.attempt,
    timestamp: new Date(message.timestamp).toISOString(),
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
    headers: message.headers,
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    ...decodePayload(message.payload),
    ...extra,
  };
  return JSON.stringify(line);
}
