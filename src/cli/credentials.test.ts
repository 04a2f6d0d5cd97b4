import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { brokerUrlFrom, withCredentials } from "./credentials.js";
import { checkUrlParameters } from "./connection.js";

describe("withCredentials", () => {
  it("fills what the URL lacks from the file, then the environment; the URL's own credentials win", () => {
    const env = { MQA_BROKER_USERNAME: "app", MQA_BROKER_PASSWORD: "from-env" };
    expect(withCredentials("amqp://h:5672/v", undefined, env)).toBe("amqp://app:from-env@h:5672/v");
    expect(withCredentials("amqp://h:5672", "from-file", env)).toBe("amqp://app:from-file@h:5672");
    expect(withCredentials("amqp://me:mine@h:5672", undefined, env)).toBe("amqp://me:mine@h:5672");
    expect(withCredentials("redis://h:6379", undefined, {})).toBe("redis://h:6379");
    expect(withCredentials("memory://x", "pw", env)).toBe("memory://x");
  });

  it("refuses a password in the URL and in --password-file", () => {
    expect(() => withCredentials("redis://:a@h:6379", "b", {})).toThrow(/has a password and --password-file/);
  });

  it("keeps any password intact through URL encoding", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (password) => {
        const url = new URL(withCredentials("amqp://u@h:5672", password, {}));
        expect(decodeURIComponent(url.password)).toBe(password);
      }),
    );
  });
});

describe("brokerUrlFrom", () => {
  it("takes the flag, else MQA_BROKER_URL, else says how to give one", () => {
    expect(brokerUrlFrom("redis://a", "--broker", { MQA_BROKER_URL: "redis://b" })).toBe("redis://a");
    expect(brokerUrlFrom(undefined, "--broker", { MQA_BROKER_URL: "redis://b" })).toBe("redis://b");
    expect(() => brokerUrlFrom(undefined, "--broker", {})).toThrow(
      /give --broker <url> or set MQA_BROKER_URL/,
    );
  });
});

describe("checkUrlParameters", () => {
  it("refuses every query parameter of a broker URL, naming it, and masks the URL", () => {
    expect(() => checkUrlParameters("amqp://u:secret@h:5672/?heartbeat=5&frameMax=1")).toThrow(
      /"heartbeat", "frameMax" not accepted/,
    );
    expect(() => checkUrlParameters("amqp://u:secret@h:5672/?heartbeat=5")).not.toThrow(/secret/);
    expect(() => checkUrlParameters("redis://h:6379/0")).not.toThrow();
    expect(() => checkUrlParameters("memory://x?y=1")).not.toThrow();
  });
});
