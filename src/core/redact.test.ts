import { describe, expect, it } from "vitest";
import { maskSecretsInText, maskUrl } from "./redact.js";

describe("redaction", () => {
  it("masks the password of a URL and secret query parameters", () => {
    expect(maskUrl("amqp://app:s3cret@rabbit:5672/vh")).toBe("amqp://app:****@rabbit:5672/vh");
    expect(maskUrl("redis://:pw@cache:6379")).not.toContain("pw@");
    expect(maskUrl("amqps://h/?password=x&heartbeat=10")).toContain("password=****");
    expect(maskUrl("memory://")).toBe("memory://");
  });

  it("masks credentials embedded in free text", () => {
    const text =
      "connect ECONNREFUSED while dialing amqp://user:hunter2@10.0.0.1:5672 (redis://:pw2@x:1 too)";
    const masked = maskSecretsInText(text);
    expect(masked).not.toMatch(/hunter2|pw2/);
    expect(masked).toContain("amqp://user:****@10.0.0.1:5672");
  });
});
