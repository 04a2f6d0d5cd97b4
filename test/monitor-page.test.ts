/**
 * The live page of `mqa monitor`, in a real browser (Debian's Chromium driven by playwright-core) against a
 * monitor sampling the real Redis: it renders the queues and alerts, refreshes by itself, and shows a
 * hostile queue name as text.
 */
import { Redis } from "ioredis";
import { chromium, type Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { Monitor } from "../src/monitor/monitor.js";
import { RedisSampler } from "../src/monitor/redis.js";
import { serveMonitor } from "../src/monitor/server.js";
import { REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const prefix = uniqueName("monpage");
afterAll(() => cleanupRedis(prefix));
const dlqTopic = uniqueName("monpage");
afterAll(() => cleanupRedis(`mqa:{${dlqTopic}}`));

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
}

describe("mqa monitor live page", () => {
  it("shows queues and alerts, refreshes itself, and renders names as text", async () => {
    const r = new Redis(REDIS_URL);
    const stream = `${prefix}:{orders}`;
    const hostile = `<img src=x onerror="window.__owned=1">`;
    await r.xgroup("CREATE", stream, hostile, "$", "MKSTREAM");
    for (let i = 0; i < 3; i++) await r.xadd(stream, "*", "p", String(i));

    const monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `${prefix}*` }), { intervalMs: 300 });
    const server = await serveMonitor(monitor, { port: 0, refreshMs: 300 });
    monitor.start();
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const page = await browser.newPage();
      await page.goto(server.url);
      const row = page.locator("#rows tr", { hasText: `${stream}#${hostile}` });
      await row.waitFor({ timeout: 15_000 });
      expect(await row.getAttribute("class")).toBe("critical");
      expect(await row.locator("td").nth(2).textContent()).toBe("3");
      await expect
        .poll(() => page.locator("#alerts li.critical").allTextContents(), { timeout: 15_000 })
        .toEqual([expect.stringContaining("3 messages waiting and no consumer")]);
      // The name is text: no element was created from it and its handler never ran.
      expect(await page.locator("#rows img").count()).toBe(0);
      expect(await page.evaluate("window.__owned")).toBeUndefined();

      // New entries show up without a reload.
      await r.xadd(stream, "*", "p", "3");
      await r.xadd(stream, "*", "p", "4");
      await expect.poll(() => row.locator("td").nth(2).textContent(), { timeout: 15_000 }).toBe("5");
      expect(await page.locator("#meta").textContent()).toContain("redis://127.0.0.1:6379");
    } finally {
      await browser?.close();
      await monitor.stop();
      await server.close();
      r.disconnect();
    }
  }, 60_000);

  it("lists dead letters by reason with the mqa dlq commands, reasons as text", async () => {
    const r = new Redis(REDIS_URL);
    const dlq = `mqa:{${dlqTopic}}:dlq:billing`;
    const hostile = `<b id="owned">x</b>`;
    for (const reason of ["max-attempts", "max-attempts", hostile]) {
      const m = { id: uniqueName("m"), ts: Date.now(), a: 1, h: { "x-mqa-dead-letter-reason": reason } };
      await r.xadd(dlq, "*", "m", JSON.stringify(m), "p", "x");
    }
    const monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `mqa:{${dlqTopic}}*` }), {
      intervalMs: 300,
    });
    const server = await serveMonitor(monitor, { port: 0, refreshMs: 300 });
    monitor.start();
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const page = await browser.newPage();
      await page.goto(server.url);
      const item = page.locator("#dlq li", { hasText: dlq });
      await item.waitFor({ timeout: 15_000 });
      expect(await page.locator("#dlq-title").isVisible()).toBe(true);
      expect(await item.locator("div").first().textContent()).toBe(
        `${dlq}: 3 dead letters · by reason (newest 3): max-attempts 2, ${hostile} 1`,
      );
      expect(await item.locator("code").allTextContents()).toEqual([
        `mqa dlq stats --broker redis://${new URL(REDIS_URL).host} --topic ${dlqTopic} --group billing`,
        `mqa dlq redrive --broker redis://${new URL(REDIS_URL).host} --topic ${dlqTopic} --group billing`,
      ]);
      expect(await page.locator("#owned").count()).toBe(0);
    } finally {
      await browser?.close();
      await monitor.stop();
      await server.close();
      r.disconnect();
    }
  }, 60_000);
});
