import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidOptionsError } from "./errors.js";
import { parseOptions } from "./options.js";

const schema = z.strictObject({
  url: z.string().url(),
  prefetch: z.number().int().min(1).default(100),
  tls: z.strictObject({ ca: z.string() }).optional(),
});

describe("parseOptions", () => {
  it("applies defaults", () => {
    expect(parseOptions(schema, { url: "amqp://h" }, "test options")).toEqual({
      url: "amqp://h",
      prefetch: 100,
    });
  });

  it("reports every problem with its path, including unknown keys", () => {
    let caught: unknown;
    try {
      parseOptions(schema, { url: "nope", prefetch: 0, tls: { ca: 1 }, prefecth: 5 }, "test options");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    const e = caught as InvalidOptionsError;
    expect(e.message).toMatch(/^invalid test options:/);
    const paths = (e.details?.["issues"] as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["url", "prefetch", "tls.ca", "(root)"]));
    expect(e.message).toContain("prefecth");
  });

  it("never throws anything but InvalidOptionsError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          parseOptions(schema, input, "x");
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidOptionsError);
        }
      }),
    );
  });
});
