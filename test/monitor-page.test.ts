/**
 * The operator's console (`mqa monitor --port`) in a real browser (Debian's Chromium driven by
 * playwright-core) against a monitor sampling the real Redis: topics → groups → dead-letter queue shown as
 * one unit with the redrive command, charts that follow published messages, a page that says it is
 * reconnecting while the monitor's server is down (or answers with an HTTP error) and recovers by itself,
 * and hostile names that stay text.
 * Every page also records CSP violations: there must be none (uPlot and Preact run under `script-src 'self'`,
 * and a name that became markup would trip the policy with its handler).
 */
import { Redis } from "ioredis";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor, createSampler } from "../src/monitor/monitor.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { serveMonitor, type MonitorServer } from "../src/monitor/server.js";
import { REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const topics: string[] = [];
/** A topic of this test file: its keys are `mqa:{<topic>}…`, removed after the run. */
function newTopic(): string {
  const topic = uniqueName("monpage");
  topics.push(topic);
  return topic;
}
afterAll(async () => {
  for (const t of topics) await cleanupRedis(`mqa:{${t}}`);
});

let browser: Browser;
let redis: Redis;
beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  browser = await chromium.launch({
    executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
});
afterAll(async () => {
  await browser?.close();
  redis?.disconnect();
});

/** A page that records CSP violations in `window.__csp`. */
async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage();
  // A string, not a function: this file is type-checked for Node, without the DOM's types.
  await page.addInitScript(`
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
  `);
  await page.goto(url);
  return page;
}

const cspViolations = (page: Page): Promise<string[]> => page.evaluate("window.__csp") as Promise<string[]>;

/** A monitor over the keys of one topic, sampling every 300 ms, with its server. */
async function watch(
  topic: string,
): Promise<{ monitor: Monitor; server: MonitorServer; stop(): Promise<void> }> {
  const monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `mqa:{${topic}}*` }), { intervalMs: 300 });
  const server = await serveMonitor(monitor, { port: 0 });
  monitor.start();
  return {
    monitor,
    server,
    stop: async () => {
      await server.close();
      await monitor.stop();
    },
  };
}

/** An entry in mqa's stream layout, dead-lettered for `reason`. */
function deadLetter(reason: string): string[] {
  const m = { id: uniqueName("m"), ts: Date.now(), a: 3, h: { "x-mqa-dead-letter-reason": reason } };
  return ["m", JSON.stringify(m), "p", "{}"];
}

/** What a chart holds: its number of points and the newest value of each line. */
async function chartData(
  page: Page,
  id: string,
): Promise<{ points: number; last: Record<string, number | null> }> {
  const chart = page.locator(`#${id}`);
  return {
    points: Number(await chart.getAttribute("data-points")),
    last: JSON.parse((await chart.getAttribute("data-last")) ?? "{}") as Record<string, number | null>,
  };
}

describe("mqa monitor console page", () => {
  it("shows a topic's groups with their dead-letter queue as one unit, with the redrive command", async () => {
    const topic = newTopic();
    const stream = `mqa:{${topic}}`;
    const dlq = `${stream}:dlq:billing`;
    await redis.xgroup("CREATE", stream, "billing", "$", "MKSTREAM");
    await redis.xgroup("CREATE", stream, "shipping", "$");
    for (let i = 0; i < 3; i++) await redis.xadd(stream, "*", "p", String(i));
    for (const reason of ["max-attempts", "max-attempts", "invalid-payload"])
      await redis.xadd(dlq, "*", ...deadLetter(reason));
    const w = await watch(topic);
    try {
      const page = await openPage(w.server.url);
      const card = page.locator(`section.topic[data-topic="${topic}"]`);
      await card.waitFor({ timeout: 15_000 });
      await expect
        .poll(() => card.locator("tbody tr .label").allTextContents())
        .toEqual(["billing", "dead letters", "shipping"]);
      const billing = card.locator("tbody tr").nth(0);
      const dlqRow = card.locator("tbody tr").nth(1);
      expect(await billing.locator("td.backlog").textContent()).toBe("3");
      expect(await billing.getAttribute("class")).toContain("critical"); // waiting, nobody consuming
      expect(await dlqRow.getAttribute("class")).toContain("dlq");
      expect(await dlqRow.getAttribute("data-resource")).toBe(dlq);
      expect(await dlqRow.locator("td.backlog").textContent()).toBe("3");
      expect(await card.locator("tbody tr").nth(2).locator("td.backlog").textContent()).toBe("3");

      const letters = page.locator(`#dead-letters article[data-resource="${dlq}"]`);
      expect(await letters.locator(".dlq-count").textContent()).toBe("3");
      expect(await letters.locator(".reason-name").allTextContents()).toEqual([
        "max-attempts",
        "invalid-payload",
      ]);
      const broker = `redis://${new URL(REDIS_URL).host}`;
      expect(await letters.locator("code").allTextContents()).toEqual([
        `mqa dlq stats --broker ${broker} --topic ${topic} --group billing`,
        `mqa dlq redrive --broker ${broker} --topic ${topic} --group billing`,
      ]);
      await expect
        .poll(() => page.locator("#alerts .alert.critical .message").allTextContents())
        .toContainEqual(expect.stringContaining("3 messages waiting and no consumer"));
      expect(await page.locator("#target").textContent()).toBe(w.monitor.target);
      expect(await page.locator("#link").getAttribute("data-status")).toBe("live");
      expect(await cspViolations(page)).toEqual([]);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it("updates the charts when messages are published, for the total and for the group clicked", async () => {
    const topic = newTopic();
    const stream = `mqa:{${topic}}`;
    await redis.xgroup("CREATE", stream, "g", "$", "MKSTREAM");
    const w = await watch(topic);
    try {
      const page = await openPage(w.server.url);
      await expect
        .poll(() => chartData(page, "chart-depth"), { timeout: 15_000 })
        .toMatchObject({ last: { backlog: 0 } });
      const before = (await chartData(page, "chart-depth")).points;
      for (let i = 0; i < 5; i++) await redis.xadd(stream, "*", "p", String(i));
      await expect
        .poll(() => chartData(page, "chart-depth"), { timeout: 15_000 })
        .toMatchObject({ last: { backlog: 5 } });
      expect((await chartData(page, "chart-depth")).points).toBeGreaterThan(before);
      // The chart's own data, as uPlot holds it, says the same as the attribute.
      expect(await page.locator("#chart-depth .u-legend .u-series").nth(1).textContent()).toContain("5");

      await page.locator(`tr.row[data-resource="${stream}#g"]`).click();
      expect(await page.locator("#series-name").textContent()).toBe(`${stream}#g`);
      expect((await chartData(page, "chart-depth")).last["backlog"]).toBe(5);
      await redis.xadd(stream, "*", "p", "5");
      await redis.xadd(stream, "*", "p", "6");
      await expect
        .poll(() => chartData(page, "chart-lag"), { timeout: 15_000 })
        .toMatchObject({ last: { lag: 7 } });
      expect((await chartData(page, "chart-depth")).last["backlog"]).toBe(7);

      // The window is cut in the page (test/monitor-console-window.test.ts): 5 min holds all of this test's points.
      const all = await chartData(page, "chart-depth");
      await page.locator('[data-window="5m"]').click();
      expect(await page.locator('[data-window="5m"]').getAttribute("aria-pressed")).toBe("true");
      expect((await chartData(page, "chart-depth")).points).toBeGreaterThanOrEqual(all.points);
      expect(await page.locator("#kept").textContent()).toMatch(/^\d+ of 720 samples kept/);
      expect(await cspViolations(page)).toEqual([]);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it("says it is reconnecting while the monitor's server is down, and recovers by itself on the same port", async () => {
    const topic = newTopic();
    const stream = `mqa:{${topic}}`;
    await redis.xgroup("CREATE", stream, "g", "$", "MKSTREAM");
    const w = await watch(topic);
    let restarted: MonitorServer | undefined;
    try {
      const page = await openPage(w.server.url);
      const link = page.locator("#link");
      await expect.poll(() => link.getAttribute("data-status"), { timeout: 15_000 }).toBe("live");
      await page.evaluate("window.__samePage = true");

      await w.server.close();
      await expect.poll(() => link.getAttribute("data-status"), { timeout: 15_000 }).toBe("reconnecting");
      expect(await link.textContent()).toBe("reconnecting…");
      const samplesWhileDown = await page.locator("#sampled").textContent();

      // Back, but answering the stream with an HTTP error first (a proxy's 502 while the monitor restarts,
      // here the cap on streams at 0): EventSource gives up for good on that, the page must open a new one.
      const refused = page.waitForResponse((r) => r.url().endsWith("/events") && r.status() === 503, {
        timeout: 15_000,
      });
      const busy = await serveMonitor(w.monitor, { port: w.server.port, maxStreams: 0 });
      await refused;
      await busy.close();
      expect(await link.getAttribute("data-status")).toBe("reconnecting");

      restarted = await serveMonitor(w.monitor, { port: w.server.port });
      await expect.poll(() => link.getAttribute("data-status"), { timeout: 30_000 }).toBe("live");
      expect(await link.textContent()).toBe("live");
      // Fresh samples arrive again, on the same page (no reload).
      await expect
        .poll(() => page.locator("#sampled").textContent(), { timeout: 15_000 })
        .not.toBe(samplesWhileDown);
      await redis.xadd(stream, "*", "p", "1");
      await expect
        .poll(() => chartData(page, "chart-depth"), { timeout: 15_000 })
        .toMatchObject({ last: { backlog: 1 } });
      expect(await page.evaluate("window.__samePage")).toBe(true);
      expect(await cspViolations(page)).toEqual([]);
    } finally {
      await restarted?.close();
      await w.stop();
    }
  }, 90_000);

  it("says a sample failed and why, with the broker's password masked", async () => {
    const monitor = new Monitor(createSampler("redis://:s3cret-pw@127.0.0.1:1"), { intervalMs: 60_000 });
    await monitor.sampleOnce();
    const server = await serveMonitor(monitor, { port: 0 });
    try {
      const page = await openPage(server.url);
      const failed = page.locator("#sample-error");
      await failed.waitFor({ timeout: 15_000 });
      expect(await failed.textContent()).toMatch(/^sample failed: cannot connect to Redis/);
      expect(await page.locator("#target").textContent()).toBe("redis://:****@127.0.0.1:1");
      expect(await page.locator("#link").getAttribute("data-status")).toBe("live"); // the link is fine, the broker is not
      expect(await page.content()).not.toContain("s3cret-pw");
    } finally {
      await server.close();
      await monitor.stop();
    }
  }, 60_000);

  it("writes hostile stream, group and reason names as text: no element created, no handler ran", async () => {
    const topic = newTopic();
    const stream = `mqa:{${topic}}`;
    const group = `<img src=x onerror="window.__owned=1">`;
    const odd = `${stream}:x<svg onload="window.__owned=2">`;
    const oddGroup = `"><b id="owned">b</b>`;
    const reason = `<iframe src="javascript:window.__owned=3"></iframe>`;
    await redis.xgroup("CREATE", stream, group, "$", "MKSTREAM");
    await redis.xadd(stream, "*", "p", "1");
    await redis.xgroup("CREATE", odd, oddGroup, "$", "MKSTREAM");
    await redis.xadd(odd, "*", "p", "1");
    await redis.xadd(`${stream}:dlq:${group}`, "*", ...deadLetter(reason));
    const w = await watch(topic);
    try {
      const page = await openPage(w.server.url);
      const row = page.locator("tr.row", { hasText: group });
      await row.first().waitFor({ timeout: 15_000 });
      expect(await row.first().locator(".label").textContent()).toBe(group);
      await page.locator(".reason-name", { hasText: reason }).waitFor({ timeout: 15_000 });
      await page.locator("tr.row", { hasText: oddGroup }).first().waitFor({ timeout: 15_000 });
      expect(
        await page.locator(`[data-resource="${`${odd}#${oddGroup}`.replaceAll('"', '\\"')}"]`).count(),
      ).toBe(1);
      await expect
        .poll(() => page.locator("#alerts .message").allTextContents())
        .toContainEqual(expect.stringContaining(group));

      const made = await page.evaluate(`({
        img: document.querySelectorAll("img").length,
        svg: document.querySelectorAll("svg").length,
        iframe: document.querySelectorAll("iframe").length,
        owned: document.getElementById("owned") !== null,
        b: document.querySelectorAll("b").length,
      })`);
      expect(made).toEqual({ img: 0, svg: 0, iframe: 0, owned: false, b: 0 });
      expect(await page.evaluate("window.__owned")).toBeUndefined();
      // Markup would have tried its inline handler and tripped the CSP: nothing did.
      expect(await cspViolations(page)).toEqual([]);
    } finally {
      await w.stop();
    }
  }, 60_000);
});
