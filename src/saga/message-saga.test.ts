import { describe, expect, it } from "vitest";
import { defineMessageSaga } from "./message-saga.js";

const step = (name: string, timeoutMs = 1000) => ({
  name,
  command: { topic: "t", payload: () => ({}) },
  timeoutMs,
});

describe("defineMessageSaga", () => {
  it("names what is wrong with a definition, and where", () => {
    expect(() => defineMessageSaga("order saga", [step("a")])).toThrow(/'order saga' may hold letters/);
    expect(() => defineMessageSaga("order", [])).toThrow(/needs at least one step/);
    expect(() => defineMessageSaga("order", [step("a"), step("a")])).toThrow(/two steps named 'a'/);
    expect(() => defineMessageSaga("order", [step("a"), step("b", 0)])).toThrow(
      /step 1 \('b'\): timeoutMs must be a positive integer/,
    );
    expect(() => defineMessageSaga("order", [step("a", 1.5)])).toThrow(/step 0 \('a'\)/);
  });

  it("keeps the steps in order", () => {
    expect(defineMessageSaga("order", [step("a"), step("b")]).steps.map((s) => s.name)).toEqual(["a", "b"]);
  });
});
