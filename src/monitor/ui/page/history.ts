/**
 * The page's own bounded copy of the monitor's history: replaced by every `history` event (sent on each
 * (re)connect), extended by the point of every `state` event, never longer than the capacity the server
 * announced. Windows are cut relative to the newest point, not the browser's clock, so a skewed clock on
 * the operator's machine does not empty the charts.
 */
import type { ConsoleHistory, HistoryPoint, SeriesPoint } from "../../console-protocol.js";

export class HistoryBuffer {
  private items: HistoryPoint[] = [];
  private capacity = 1;

  /** Start over from what the server keeps (oldest first). */
  replace(history: ConsoleHistory): void {
    this.capacity = Math.max(1, Math.floor(history.capacity));
    this.items = history.points.slice(-this.capacity);
  }

  /** Add a sample's point; a point not newer than the last one (the state sent right after history) is skipped. */
  append(point: HistoryPoint): boolean {
    const last = this.items[this.items.length - 1];
    if (last !== undefined && point.t <= last.t) return false;
    this.items.push(point);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    return true;
  }

  get size(): number {
    return this.items.length;
  }

  get limit(): number {
    return this.capacity;
  }

  /** The points of the last `windowMs` before the newest one; all of them for `null`. */
  window(windowMs: number | null): HistoryPoint[] {
    const last = this.items[this.items.length - 1];
    if (windowMs === null || last === undefined) return this.items.slice();
    const from = last.t - windowMs;
    return this.items.filter((p) => p.t >= from);
  }
}

/** One series of the history: the total, or one queue's points (null where it was not sampled). */
export function seriesOf(points: HistoryPoint[], id: string | null): (SeriesPoint | null)[] {
  return points.map((p) => (id === null ? p.total : (p.points[id] ?? null)));
}
