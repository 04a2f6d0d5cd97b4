import { describe, expect, it } from "vitest";
import { describeThrown, summarizeError } from "./errors.js";
import { redactValue } from "./redact.js";

describe("redactValue", () => {
  it("masks secret-looking keys at any depth and URL passwords in strings", () => {
    const out = redactValue({
      user: "app",
      password: "pw1",
      nested: { apiKey: "k1", client_secret: "s1", list: ["amqp://a:pw2@h/", { Token: "t1" }] },
      routingKey: "orders.created",
    });
    expect(JSON.stringify(out)).not.toMatch(/pw1|k1|s1|pw2|t1/);
    expect(out).toMatchObject({ user: "app", routingKey: "orders.created" });
  });

  it("is bounded: cycles, depth and width are cut", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = cyclic;
    expect(redactValue(cyclic)).toEqual({ a: 1, self: "[Circular]" });
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(redactValue(wide) as object)).toHaveLength(50);
    let deep: unknown = "bottom";
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(JSON.stringify(redactValue(deep))).toContain("[Object]");
  });
});

describe("summarizeError of values that are not Errors", () => {
  it("describes null, numbers and objects, masking secrets and bounding the text", () => {
    expect(summarizeError(null)).toEqual({ name: "NonError", message: "null" });
    expect(summarizeError(7).message).toBe("7");
    expect(summarizeError({ password: "hunter2", why: "x" }).message).toBe('{"password":"****","why":"x"}');
    expect(describeThrown("y".repeat(5000))).toHaveLength(1001);
  });

  it("masks URL passwords in an Error's message and stack", () => {
    const s = summarizeError(new Error("cannot reach redis://:pw5@cache:6379"));
    expect(JSON.stringify(s)).not.toContain("pw5");
  });
});
