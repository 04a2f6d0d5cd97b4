import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture(): { stream: Writable; lines: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, lines: () => out };
}

describe("createLogger", () => {
  it("masks passwords in URLs inside messages and errors", () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream, level: "info" });
    log.info("connecting to amqp://app:s3cr3t@rabbit:5672/");
    log.error({ err: new Error("failed redis://:hunter2@cache:6379") }, "boom");
    expect(lines()).not.toContain("s3cr3t");
    expect(lines()).not.toContain("hunter2");
    expect(lines()).toContain("app:****@rabbit");
  });

  it("censors values under secret-looking keys", () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream });
    log.info({ password: "pw1", options: { password: "pw2", token: "t0k" } }, "opts");
    expect(lines()).not.toMatch(/pw1|pw2|t0k/);
    expect(lines()).toContain("****");
  });

  it("logs anything thrown, null included, without throwing itself and with secrets masked", () => {
    const { stream, lines } = capture();
    const log = createLogger({ destination: stream });
    for (const thrown of [null, 42, "plain amqp://u:pw9@h/", { password: "pw8", detail: "x" }])
      expect(() => log.warn({ err: thrown }, "handler failed")).not.toThrow();
    const records = lines()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { err: { type: string; message: string } });
    expect(records.map((r) => r.err.message)).toEqual([
      "null",
      "42",
      "plain amqp://u:****@h/",
      '{"password":"****","detail":"x"}',
    ]);
    expect(records.every((r) => r.err.type === "NonError")).toBe(true);
  });
});
