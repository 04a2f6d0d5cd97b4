/**
 * The CLI takes credentials from the environment or a file (never only argv), and every connection failure
 * names its cause at once when retrying cannot help (issue 13, items 4 and 7). Runs the built bin against the
 * shared brokers (read-only: a wrong password, a missing vhost) and a private redis-server with a password.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RedisServerProcess, freePort } from "../src/brokers/local/redis-launcher.js";
import { mqa, mqaWithEnv } from "./support/cli.js";

const AMQP = "amqp://guest:guest@127.0.0.1:5672";
const secret = `pw-${randomBytes(6).toString("hex")}`;
const unique = (): string => `cli-cred-${randomBytes(4).toString("hex")}`;

let redis: RedisServerProcess;
let dir: string;
let passwordFile: string;

beforeAll(async () => {
  redis = await RedisServerProcess.start({ appendfsync: "no", args: ["--requirepass", secret] });
  dir = await mkdtemp(join(tmpdir(), "mqa-cred-"));
  passwordFile = join(dir, "password");
  await writeFile(passwordFile, `${secret}\n`, { mode: 0o600 });
}, 30_000);

afterAll(async () => {
  await redis?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("credentials outside argv", () => {
  it("takes the password from MQA_BROKER_PASSWORD, --password-file, or a whole MQA_BROKER_URL", async () => {
    const topic = unique();
    const args = ["publish", "--topic", topic, "--declare", "g", '{"n":1}'];
    const env = await mqaWithEnv({ MQA_BROKER_PASSWORD: secret }, ...withBroker(args, redis.url));
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject({ confirmed: true });
    const file = await mqa(...withBroker(args, redis.url), "--password-file", passwordFile);
    expect(file.code, file.stderr).toBe(0);
    const url = `redis://:${secret}@127.0.0.1:${redis.port}`;
    const whole = await mqaWithEnv({ MQA_BROKER_URL: url }, ...args);
    expect(whole.code, whole.stderr).toBe(0);
    for (const r of [env, file, whole]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("takes the AMQP user and password from MQA_BROKER_USERNAME / MQA_BROKER_PASSWORD", async () => {
    const topic = unique();
    const r = await mqaWithEnv(
      { MQA_BROKER_URL: "amqp://127.0.0.1:5672", MQA_BROKER_USERNAME: "guest", MQA_BROKER_PASSWORD: "guest" },
      "publish",
      "--topic",
      topic,
      "--declare",
      "g",
      '{"n":1}',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ confirmed: true });
    const auth = { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` };
    for (const path of [`queues/%2F/${topic}.g`, `queues/%2F/${topic}.g.dlq`, `exchanges/%2F/${topic}`])
      await fetch(`http://127.0.0.1:15672/api/${path}`, { method: "DELETE", headers: auth });
  });

  it("refuses a password given twice, an unreadable password file, and a missing URL", async () => {
    const twice = await mqa(
      "publish",
      "--broker",
      `redis://:${secret}@127.0.0.1:${redis.port}`,
      "--password-file",
      passwordFile,
      "--topic",
      "t",
      "{}",
    );
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/has a password and --password-file gives another/);
    expect(twice.stderr).not.toContain(secret);
    const unreadable = await mqa(
      ...withBroker(["publish", "--topic", "t", "{}"], redis.url),
      "--password-file",
      join(dir, "nope"),
    );
    expect(unreadable.stderr).toMatch(/--password-file .*nope: cannot read it \(ENOENT\)/);
    const none = await mqaWithEnv({ MQA_BROKER_URL: "" }, "publish", "--topic", "t", "{}");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give --broker <url> or set MQA_BROKER_URL/);
  });

  it("refuses URL parameters it would ignore, and TLS flags on a plain URL", async () => {
    const param = await mqa("publish", "--broker", `${AMQP}?heartbeat=5`, "--topic", "t", "{}");
    expect(param.code).toBe(2);
    expect(param.stderr).toMatch(/URL parameter "heartbeat" not accepted/);
    const tls = await mqa("publish", "--broker", AMQP, "--tls-servername", "x", "--topic", "t", "{}");
    expect(tls.code).toBe(2);
    expect(tls.stderr).toMatch(
      /--tls-servername apply to TLS connections.*amqps:\/\/, rediss:\/\/ or https:\/\//,
    );
  });
});

describe("connection failures name their cause", () => {
  it("RabbitMQ: refused credentials and a missing vhost fail at once, without retrying", async () => {
    const env = { MQA_CONNECT_TIMEOUT_MS: "20000" };
    const login = await mqaWithEnv(
      env,
      "publish",
      "--broker",
      "amqp://guest:wrong-pw@127.0.0.1:5672",
      "--topic",
      "t",
      "{}",
    );
    expect(login.code).toBe(2);
    expect(login.stderr).toMatch(/refused the login of user 'guest' \(ACCESS_REFUSED/);
    expect(login.stderr).not.toMatch(/within 20000 ms/); // it did not wait for the timeout
    expect(login.stderr).not.toContain("wrong-pw");
    const vhost = await mqaWithEnv(
      env,
      "consume",
      "--broker",
      `${AMQP}/no-such-vhost-${unique()}`,
      "--topic",
      "t",
      "--group",
      "g",
    );
    expect(vhost.code).toBe(2);
    expect(vhost.stderr).toMatch(
      /refused (to open virtual host|vhost) 'no-such-vhost-\S+' (for|to) user 'guest' \(NOT_ALLOWED/,
    );
    const verify = await mqaWithEnv(
      env,
      "verify",
      "--broker",
      "amqp://guest:wrong-pw@127.0.0.1:5672",
      "--messages",
      "10",
    );
    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(/ACCESS_REFUSED/);
  });

  it("Redis: a wrong password says WRONGPASS for publish, monitor, audit and topology plan", async () => {
    const wrong = `redis://:not-the-pw@127.0.0.1:${redis.port}`;
    const spec = join(dir, "spec.yaml");
    await writeFile(spec, "version: 1\nredis:\n  streams:\n    - name: s1\n      groups: [{ name: g }]\n");
    const runs = await Promise.all([
      mqa("publish", "--broker", wrong, "--topic", "t", "{}"),
      mqa("monitor", wrong, "--once"),
      mqa("audit", wrong, "--sample-ms", "0"),
      mqa("topology", "plan", spec, "--broker", wrong),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/WRONGPASS|NOAUTH/);
      expect(r.stderr).not.toMatch(/Connection is closed|\n\s+at /);
      expect(r.stderr).not.toContain("not-the-pw");
    }
  });

  it("topology rollback takes the password from --password-file (the rollback file never holds it)", async () => {
    const prefix = unique();
    const spec = join(dir, `${prefix}.yaml`);
    await writeFile(
      spec,
      `version: 1\nredis:\n  keyPrefix: ${prefix}\n  streams:\n    - name: s1\n      groups: [{ name: g }]\n`,
    );
    const rollbackFile = join(dir, `${prefix}-rollback.json`);
    const keys = async (): Promise<string[]> => {
      const client = new Redis(`redis://:${secret}@127.0.0.1:${redis.port}`);
      try {
        return await client.keys(`${prefix}:*`);
      } finally {
        client.disconnect();
      }
    };
    const apply = await mqa(
      "topology",
      "apply",
      spec,
      "--broker",
      redis.url,
      "--password-file",
      passwordFile,
      "--rollback-file",
      rollbackFile,
    );
    expect(apply.code, apply.stderr).toBe(0);
    expect((await keys()).length).toBeGreaterThan(0);
    const noPassword = await mqa("topology", "rollback", rollbackFile);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/NOAUTH|WRONGPASS/);
    expect((await keys()).length).toBeGreaterThan(0);
    const rollback = await mqa(
      "topology",
      "rollback",
      rollbackFile,
      "--password-file",
      passwordFile,
      "--json",
    );
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ rolledBack: true });
    expect(await keys()).toEqual([]);
    for (const r of [apply, noPassword, rollback]) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("tail and bench against a Redis that is down or refuses the password: the cause, no stack trace", async () => {
    const down = `redis://127.0.0.1:${await freePort()}`;
    const wrong = `redis://:not-the-pw@127.0.0.1:${redis.port}`;
    const runs = await Promise.all([
      mqa("tail", "--broker", down, "--topic", "t"),
      mqa("bench", "--broker", down, "--messages", "10", "--rounds", "1"),
      mqa("tail", "--broker", wrong, "--topic", "t"),
      mqa("bench", "--broker", wrong, "--messages", "10", "--rounds", "1"),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toMatch(/Unhandled error event|\n\s+at /);
    }
    expect(runs[0]!.stderr).toMatch(/ECONNREFUSED/);
    expect(runs[1]!.stderr).toMatch(/ECONNREFUSED/);
    expect(runs[2]!.stderr).toMatch(/WRONGPASS|NOAUTH/);
    expect(runs[3]!.stderr).toMatch(/WRONGPASS|NOAUTH/);
  });

  it("mqa audit amqp://… asks for the management URL", async () => {
    const r = await mqa("audit", AMQP);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give the management URL \(http:\/\/…:15672\) for a live RabbitMQ audit/);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  it("consume --dead-letters of a group that does not exist says so, on both brokers", async () => {
    const shared = await Promise.all([
      mqa("consume", "--broker", AMQP, "--topic", unique(), "--group", "nobody", "--dead-letters"),
      mqa(
        "consume",
        "--broker",
        "redis://127.0.0.1:6379",
        "--topic",
        unique(),
        "--group",
        "nobody",
        "--dead-letters",
      ),
    ]);
    for (const r of shared) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/group 'nobody' of topic '\S+' does not exist/);
      expect(r.stdout).toBe("");
    }
    // A group that exists, with no dead letters, is not an error.
    const topic = unique();
    const declared = await mqa(
      "publish",
      "--broker",
      "redis://127.0.0.1:6379",
      "--topic",
      topic,
      "--declare",
      "g",
      "{}",
    );
    expect(declared.code, declared.stderr).toBe(0);
    const empty = await mqa(
      "consume",
      "--broker",
      "redis://127.0.0.1:6379",
      "--topic",
      topic,
      "--group",
      "g",
      "--dead-letters",
    );
    expect(empty.code, empty.stderr).toBe(0);
    await mqa(
      "consume",
      "--broker",
      "redis://127.0.0.1:6379",
      "--topic",
      topic,
      "--group",
      "other",
      "--dead-letters",
    ).then((r) => expect(r.stderr).toMatch(/no consumer group 'other'/));
    const { Redis } = await import("ioredis");
    const c = new Redis("redis://127.0.0.1:6379");
    const keys = await c.keys(`mqa:{${topic}}*`);
    if (keys.length > 0) await c.del(...keys);
    c.disconnect();
  });

  it("refuses a RabbitMQ name over 255 bytes before declaring anything", async () => {
    const topic = `${unique()}-${"x".repeat(240)}`; // the exchange fits; the group's queues would not
    const r = await mqa("publish", "--broker", AMQP, "--topic", topic, "--declare", "g", "{}");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is 2\d\d bytes long; RabbitMQ takes names of at most 255 bytes/);
    const res = await fetch(`http://127.0.0.1:15672/api/exchanges/%2F/${encodeURIComponent(topic)}`, {
      headers: { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` },
    });
    expect(res.status).toBe(404); // nothing half-declared
  });
});

/** `args` with `--broker url` after the subcommand name. */
function withBroker(args: readonly string[], url: string): string[] {
  return [args[0]!, "--broker", url, ...args.slice(1)];
}
