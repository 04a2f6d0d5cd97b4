/**
 * Screenshots of the operator's console for docs/monitor.md, from real runs of `mqa monitor`'s server
 * (from dist/) photographed by Debian's Chromium:
 * - Redis: a private redis-server (its own port and directory, so nothing else is touched) with an order
 *   pipeline driven through real consumer groups (one keeping up, one falling behind, one with nobody
 *   reading) and dead letters with reasons → docs/img/monitor-console.png, -dark.png, -group.png;
 * - RabbitMQ (when its management API answers on 127.0.0.1:15672): mqa's Router on a vhost of its own,
 *   with retries held in mqa's delay levels, poison messages dead-lettered and a group left without
 *   consumers → docs/img/monitor-console-rabbitmq.png. The vhost is deleted afterwards.
 *
 *   npm run build && node scripts/monitor-screenshots.mjs [seconds of traffic per scene, default 60]
 */
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { URL } from "node:url";
import { TextEncoder } from "node:util";
import { Redis } from "ioredis";
import { chromium } from "playwright-core";
import { RabbitManagementApi } from "../dist/brokers/management-api.js";
import { RedisServerProcess } from "../dist/brokers/local/redis-launcher.js";
import { Router, UnrecoverableError, correlation, deadLetter, retry } from "../dist/index.js";
import { Monitor, serveMonitor } from "../dist/monitor/mod.js";
import { RabbitSampler } from "../dist/monitor/rabbitmq.js";
import { RedisSampler } from "../dist/monitor/redis.js";
import { createAmqpTransport } from "../dist/transports/amqp/mod.js";

const seconds = Number(process.argv[2] ?? 60);
const out = (name) => new URL(`../docs/img/${name}`, import.meta.url).pathname;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MANAGEMENT = "http://guest:guest@127.0.0.1:15672";

/** Keep calling `step` until stopped; returns the function that stops it and waits for the last call. */
function repeat(step) {
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) await step(n);
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** Open the console of `url`, let it settle on the whole history, and take the screenshots asked for. */
async function shoot(browser, url, shots) {
  for (const { file, scheme = "light", then } of shots) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: scheme });
    await page.goto(url);
    await page.locator("#link[data-status=live]").waitFor();
    await page.locator('[data-window="all"]').click();
    await sleep(1500);
    await page.screenshot({ path: out(file), fullPage: true });
    if (then) await then(page);
    await page.close();
  }
}

/** An entry in mqa's stream layout: the envelope in `m`, the payload in `p`. */
function entry(headers = {}) {
  const m = { id: randomUUID(), ts: Date.now(), a: 1, ct: "application/json", h: headers };
  return ["m", JSON.stringify(m), "p", JSON.stringify({ order: randomUUID().slice(0, 8), amount: "42.50" })];
}

async function redisScene(browser) {
  const ORDERS = "mqa:{orders}";
  const PAYMENTS = "mqa:{payments}";
  const DLQ = `${ORDERS}:dlq:billing`;
  const server = await RedisServerProcess.start({ appendfsync: "everysec" });
  const clients = [];
  const client = () => {
    const c = new Redis(server.url);
    clients.push(c);
    return c;
  };
  const stops = [];
  let monitor;
  let http;
  try {
    const redis = client();
    await redis.xgroup("CREATE", ORDERS, "billing", "$", "MKSTREAM");
    await redis.xgroup("CREATE", ORDERS, "shipping", "$");
    await redis.xgroup("CREATE", PAYMENTS, "ledger", "$", "MKSTREAM");
    for (const [reason, n] of [
      ["max-attempts", 14],
      ["invalid-payload", 5],
      ["handler-timeout", 2],
    ])
      for (let i = 0; i < n; i++)
        await redis.xadd(DLQ, "*", ...entry({ "x-mqa-dead-letter-reason": reason }));

    monitor = new Monitor(new RedisSampler(server.url), { intervalMs: 1000 });
    http = await serveMonitor(monitor, { port: 0 });
    monitor.start();

    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;
    // Billing keeps up; shipping keeps up at first, then slows down, leaving half of what it reads pending.
    const billing = client();
    stops.push(
      repeat(async () => {
        const reply = await billing.xreadgroup(
          "GROUP",
          "billing",
          "b-1",
          "COUNT",
          50,
          "STREAMS",
          ORDERS,
          ">",
        );
        const ids = reply?.[0]?.[1]?.map(([id]) => id) ?? [];
        if (ids.length > 0) await billing.xack(ORDERS, "billing", ...ids);
        await sleep(100);
      }),
    );
    const shipping = client();
    stops.push(
      repeat(async () => {
        const batch = elapsed() > seconds * 0.6 ? 3 : 30;
        const reply = await shipping.xreadgroup(
          "GROUP",
          "shipping",
          "s-1",
          "COUNT",
          batch,
          "STREAMS",
          ORDERS,
          ">",
        );
        const ids = reply?.[0]?.[1]?.map(([id]) => id) ?? [];
        if (ids.length > 1)
          await shipping.xack(ORDERS, "shipping", ...ids.slice(0, Math.ceil(ids.length / 2)));
        await sleep(250);
      }),
    );
    // Traffic goes on while the screenshots are taken, so the rates are live ones.
    stops.push(
      repeat(async (n) => {
        const rate = 20 + 15 * Math.sin(elapsed() / 9) + (elapsed() > seconds * 0.5 ? 15 : 0);
        for (let i = 0; i < Math.round(rate / 5); i++) await redis.xadd(ORDERS, "*", ...entry());
        if (n % 3 === 0) await redis.xadd(PAYMENTS, "*", ...entry());
        if (n % 40 === 39)
          await redis.xadd(DLQ, "*", ...entry({ "x-mqa-dead-letter-reason": "max-attempts" }));
        await sleep(200);
      }),
    );
    await sleep(seconds * 1000);
    await shoot(browser, http.url, [
      {
        file: "monitor-console.png",
        then: async (page) => {
          await page.locator("tr.row", { hasText: "shipping" }).first().click();
          await sleep(800);
          await page.locator("#charts").screenshot({ path: out("monitor-console-group.png") });
        },
      },
      { file: "monitor-console-dark.png", scheme: "dark" },
    ]);
    return ["monitor-console.png", "monitor-console-dark.png", "monitor-console-group.png"];
  } finally {
    await Promise.all(stops.map((stop) => stop()));
    await http?.close();
    await monitor?.stop();
    for (const c of clients) c.disconnect();
    await server.dispose();
  }
}

async function rabbitScene(browser) {
  const api = new RabbitManagementApi(MANAGEMENT);
  const vhost = "mqa-console-screenshots";
  await api.putVhost({ name: vhost });
  await api.putPermission({ vhost, user: "guest", configure: ".*", write: ".*", read: ".*" });
  const url = `amqp://guest:guest@127.0.0.1:5672/${vhost}`;
  const transports = [];
  const routers = [];
  const stops = [];
  let monitor;
  let http;
  try {
    const transport = createAmqpTransport({ url });
    transports.push(transport);
    const middleware = [correlation(), deadLetter(), retry({ attempts: 4, baseMs: 4000, jitter: "none" })];
    let n = 0;
    const router = new Router(transport, { middleware });
    router.handle({
      topic: "orders",
      group: "billing",
      prefetch: 20,
      handler: async (order) => {
        if (order.amount === "0.00") throw new UnrecoverableError("empty order");
        if (order.n % 23 === 0) throw new Error(`card processor declined order ${order.n} (poison order)`);
        if (order.n % 4 === 0 && Math.random() < 0.8) throw new Error("card processor timed out");
      },
    });
    router.handle({
      topic: "orders",
      group: "shipping",
      prefetch: 4,
      handler: async () => sleep(220),
    });
    routers.push(router);
    // The ledger group is declared by a router that then stops: its queue stays, nobody consumes it.
    const ledger = new Router(transport, { middleware });
    ledger.handle({ topic: "payments", group: "ledger", handler: async () => undefined });
    await ledger.start();
    await ledger.stop({ timeoutMs: 5000 });
    await router.start();

    monitor = new Monitor(new RabbitSampler(MANAGEMENT, vhost), { intervalMs: 2000 });
    http = await serveMonitor(monitor, { port: 0 });
    monitor.start();
    const encode = (o) => new TextEncoder().encode(JSON.stringify(o));
    stops.push(
      repeat(async (i) => {
        for (let k = 0; k < 4; k++) {
          n += 1;
          await transport.publish("orders", {
            payload: encode({ n, amount: n % 37 === 0 ? "0.00" : "42.50" }),
            contentType: "application/json",
          });
        }
        if (i % 2 === 0)
          await transport.publish("payments", { payload: encode({ n }), contentType: "application/json" });
        await sleep(200);
      }),
    );
    await sleep(seconds * 1000);
    await shoot(browser, http.url, [{ file: "monitor-console-rabbitmq.png" }]);
    return ["monitor-console-rabbitmq.png"];
  } finally {
    await Promise.all(stops.map((stop) => stop()));
    for (const r of routers) await r.stop({ timeoutMs: 5000 });
    for (const t of transports) await t.close();
    await http?.close();
    await monitor?.stop();
    await api.deleteVhost(vhost);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
try {
  const files = await redisScene(browser);
  const rabbitUp = await new RabbitManagementApi(MANAGEMENT).overview().then(
    () => true,
    () => false,
  );
  if (rabbitUp) files.push(...(await rabbitScene(browser)));
  else console.log("RabbitMQ's management API does not answer on 127.0.0.1:15672: no RabbitMQ screenshot");
  for (const name of files)
    console.log(`${out(name)}: ${Math.round((await stat(out(name))).size / 1024)} KB`);
} finally {
  await browser.close();
}
