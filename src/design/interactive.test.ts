/** Interactive `mqa design`: questions on injected streams, defaults on Enter, bad answers asked again. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runDesign } from "../cli/commands/design.js";
import { InvalidOptionsError } from "../core/errors.js";
import { askRequirements, QUESTIONS } from "./interactive.js";

/** Streams with `answers` typed in, one line each, and everything written collected. */
function terminal(answers: string[]): { stdin: PassThrough; stdout: PassThrough; written: () => string } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (c: Buffer) => (text += c.toString()));
  stdin.end(answers.map((a) => `${a}\n`).join(""));
  return { stdin, stdout, written: () => text };
}

describe("interactive requirements", () => {
  it("asks the questions that change the answer most, with defaults kept on Enter", async () => {
    const t = terminal(["5000", "", "strict", "per-key", "10ms", "", ""]);
    const { requirements, given } = await askRequirements(t.stdin, t.stdout);
    expect(requirements).toEqual({
      rate: 5000,
      messageSize: "1KiB",
      durability: "strict",
      ordering: "per-key",
      handlerTime: "10ms",
      latencyP99Ms: 100,
      replay: 0,
    });
    expect(given).toEqual(QUESTIONS.map((q) => q.field));
    expect(t.written()).toContain("Typical message size (e.g. 512, 4KiB, 20MiB) [1KiB]: ");
    expect(t.written()).toMatch(/Acceptable loss: .* \[standard\]: /);
  });

  it("asks again after an answer that does not parse, and gives up clearly", async () => {
    const t = terminal(["lots", "-3", "100", "4 parsecs", "2MiB", "", "", "", "", ""]);
    const { requirements } = await askRequirements(t.stdin, t.stdout);
    expect(requirements).toMatchObject({ rate: 100, messageSize: "2MiB" });
    expect(t.written()).toMatch(/rate: .*; try again/);
    expect(t.written()).toMatch(/messageSize: not a size/);

    const stubborn = terminal(["x", "y", "z"]);
    await expect(askRequirements(stubborn.stdin, stubborn.stdout)).rejects.toThrow(
      /no valid answer for "rate" in 3 tries/,
    );
    const short = terminal(["100"]);
    await expect(askRequirements(short.stdin, short.stdout)).rejects.toThrow(
      /input ended before "messageSize"/,
    );
  });

  it("runs mqa design interactively in a terminal without a file or --rate", async () => {
    const t = terminal(["50", "20MiB", "", "", "", "", ""]);
    await runDesign(undefined, { format: "text" }, { stdin: t.stdin, stdout: t.stdout, interactive: true });
    const out = t.written();
    expect(out).toContain("Peak messages per second: ");
    expect(out).toContain("Claim-check");
    // Answered questions are not assumptions; the rest are.
    const assumptions = out.slice(out.indexOf("Assumptions"), out.indexOf("Recommendation"));
    expect(assumptions).toContain("groups = ");
    expect(assumptions).not.toContain("messageSize = ");
  });

  it("fails clearly without requirements when no one is at a terminal", async () => {
    const t = terminal([]);
    const run = runDesign(
      undefined,
      { format: "text" },
      { stdin: t.stdin, stdout: t.stdout, interactive: false },
    );
    await expect(run).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(
      runDesign(undefined, { format: "text" }, { stdin: t.stdin, stdout: t.stdout, interactive: false }),
    ).rejects.toThrow(/rate is missing: give --rate/);
    expect(t.written()).toBe("");
  });
});
