/**
 * The console page's own copy of the history (src/monitor/ui/page/history.ts, browser code without DOM
 * use): bounded by the capacity the server announces, replaced on every reconnect, extended only by newer
 * points, and cut into windows relative to the newest point rather than the browser's clock.
 */
import { describe, expect, it } from "vitest";
import type { HistoryPoint } from "../src/monitor/console-protocol.js";
import { HistoryBuffer, seriesOf } from "../src/monitor/ui/page/history.js";

const point = (t: number, backlog = t): HistoryPoint => ({
  t,
  points: { q: { backlog, inFlight: 0, publishRate: null, deliverRate: null, ackRate: null, lag: null } },
  total: { backlog: backlog * 2, inFlight: 0, publishRate: null, deliverRate: null, ackRate: 1, lag: 0 },
});

describe("console page history", () => {
  it("keeps at most the announced capacity, dropping the oldest, and skips points not newer than the last", () => {
    const h = new HistoryBuffer();
    h.replace({
      capacity: 3,
      intervalMs: 1000,
      points: [point(1000), point(2000), point(3000), point(4000)],
    });
    expect(h.window(null).map((p) => p.t)).toEqual([2000, 3000, 4000]);
    expect(h.append(point(4000))).toBe(false); // the state sent right after the history repeats its last point
    expect(h.append(point(3500))).toBe(false);
    expect(h.append(point(5000))).toBe(true);
    expect(h.window(null).map((p) => p.t)).toEqual([3000, 4000, 5000]);
    expect([h.size, h.limit]).toEqual([3, 3]);
    h.replace({ capacity: 10, intervalMs: 1000, points: [point(100)] });
    expect(h.window(null).map((p) => p.t)).toEqual([100]);
  });

  it("cuts a window back from the newest point, whatever the browser's clock says", () => {
    const h = new HistoryBuffer();
    const minute = 60_000;
    const base = Date.UTC(2020, 0, 1); // years behind the clock of the machine running this
    h.replace({
      capacity: 100,
      intervalMs: minute,
      points: [0, 10, 50, 56, 59, 60].map((m) => point(base + m * minute)),
    });
    expect(h.window(5 * minute).map((p) => (p.t - base) / minute)).toEqual([56, 59, 60]);
    expect(h.window(15 * minute).map((p) => (p.t - base) / minute)).toEqual([50, 56, 59, 60]);
    expect(h.window(null)).toHaveLength(6);
    expect(new HistoryBuffer().window(5 * minute)).toEqual([]);
  });

  it("reads the total or one queue's series, null where the queue was not sampled", () => {
    const points = [point(1, 1), { ...point(2, 2), points: {} }, point(3, 3)];
    expect(seriesOf(points, null).map((p) => p?.backlog)).toEqual([2, 4, 6]);
    expect(seriesOf(points, "q").map((p) => p?.backlog ?? null)).toEqual([1, null, 3]);
  });
});
