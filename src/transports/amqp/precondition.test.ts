import { describe, expect, it } from "vitest";
import { PreconditionFailedError } from "../../core/errors.js";
import { isPreconditionFailed, parseInequivalentArgument, preconditionFailedError } from "./precondition.js";

const reason = (args: string): string =>
  `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - ${args}"`;

describe("PRECONDITION_FAILED parsing", () => {
  it("reads the queue, the argument and both values", () => {
    const msg = reason(
      "inequivalent arg 'x-queue-type' for queue 'orders.billing' in vhost '/': received the value 'quorum' of type 'longstr' but current is none",
    );
    expect(parseInequivalentArgument(msg)).toEqual({
      kind: "queue",
      name: "orders.billing",
      argument: "x-queue-type",
      requested: "'quorum'",
      existing: "not set",
    });
  });

  it("builds an error that says what to do, keeping the cause", () => {
    const cause = Object.assign(
      new Error(
        reason(
          "inequivalent arg 'x-delivery-limit' for queue 'q' in vhost 'v': received the value '5' of type 'signedint' but current is the value '20' of type 'signedint'",
        ),
      ),
      { code: 406 },
    );
    const err = preconditionFailedError(cause, { kind: "queue", name: "q" });
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect(err.code).toBe("precondition-failed");
    expect(err.cause).toBe(cause);
    expect(err.details).toMatchObject({
      name: "q",
      argument: "x-delivery-limit",
      requested: "'5'",
      existing: "'20'",
    });
    expect(err.message).toMatch(/Safe ways out/);
  });

  it("falls back to the broker's text for other precondition failures", () => {
    expect(parseInequivalentArgument("PRECONDITION_FAILED - unknown delivery tag 42")).toBeUndefined();
    const err = preconditionFailedError(new Error("PRECONDITION_FAILED - something else"), {
      kind: "exchange",
      name: "x",
    });
    expect(err.message).toContain("exchange 'x'");
    expect(err.message).toContain("something else");
  });

  it("classifies by the AMQP reply code, never by the text", () => {
    expect(isPreconditionFailed(Object.assign(new Error("whatever the text"), { code: 406 }))).toBe(true);
    // A message that merely mentions it (a handler's own error, a log line) is not the broker's refusal.
    expect(isPreconditionFailed(new Error("PRECONDITION_FAILED - something else"))).toBe(false);
    expect(isPreconditionFailed(Object.assign(new Error("PRECONDITION_FAILED"), { code: 404 }))).toBe(false);
  });
});
