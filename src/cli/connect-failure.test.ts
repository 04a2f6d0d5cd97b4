import { describe, expect, it } from "vitest";
import { explainConnectFailure } from "./connect-failure.js";

const err = (message: string, code?: string): Error =>
  Object.assign(new Error(message), code ? { code } : {});

describe("explainConnectFailure", () => {
  it("names causes no retry can fix, as fatal, without the password", () => {
    const amqp = "amqp://app:s3cret@h:5672/orders";
    const cases: Array<[Error | string, string, RegExp]> = [
      [
        err(
          'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
        ),
        "credentials",
        /refused the login of user 'app'/,
      ],
      [
        err("Expected ConnectionOpenOk; got <ConnectionClose channel:0>"),
        "vhost",
        /virtual host 'orders' for user 'app' \(NOT_ALLOWED\)/,
      ],
      [
        "WRONGPASS invalid username-password pair or user is disabled.",
        "credentials",
        /refused the user or password/,
      ],
      [err("getaddrinfo ENOTFOUND h", "ENOTFOUND"), "dns", /cannot resolve the host/],
      [err("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"), "tls", /--tls-ca/],
    ];
    for (const [e, kind, text] of cases) {
      const f = explainConnectFailure(e, amqp);
      expect(f).toMatchObject({ kind, fatal: true, code: "invalid-options" });
      expect(f.message).toMatch(text);
      expect(f.message).not.toContain("s3cret");
    }
  });

  it("keeps retrying what may pass: a refused or timed-out TCP connection", () => {
    expect(
      explainConnectFailure(err("connect ECONNREFUSED 127.0.0.1:5", "ECONNREFUSED"), "redis://h:5"),
    ).toMatchObject({
      kind: "refused",
      fatal: false,
    });
    expect(explainConnectFailure("connect ETIMEDOUT", "redis://h:5")).toMatchObject({
      kind: "timeout",
      fatal: false,
    });
    expect(explainConnectFailure("something else", "redis://h:5")).toMatchObject({
      kind: "other",
      fatal: false,
    });
  });
});
