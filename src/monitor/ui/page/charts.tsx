/**
 * The charts: backlog and in flight, publish/deliver/ack rates, and consumer lag over time, drawn with uPlot
 * from the page's copy of the history, for the total of the work queues or the queue the operator clicked,
 * over a window cut client-side (5 min, 15 min, 1 h, all kept). Each chart's element carries what it holds
 * (`data-points`, `data-last`: the newest value of each line) so tests and scripts can read the chart's data
 * without looking at pixels.
 */
import { useEffect, useMemo, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { SeriesPoint } from "../../console-protocol.js";
import { clock, count, duration, rate } from "./format.js";
import { seriesOf, type HistoryBuffer } from "./history.js";

export type WindowChoice = "5m" | "15m" | "1h" | "all";

const WINDOWS: { choice: WindowChoice; label: string; ms: number | null }[] = [
  { choice: "5m", label: "5 min", ms: 5 * 60_000 },
  { choice: "15m", label: "15 min", ms: 15 * 60_000 },
  { choice: "1h", label: "1 h", ms: 60 * 60_000 },
  { choice: "all", label: "all kept", ms: null },
];

interface Line {
  label: string;
  pick(p: SeriesPoint): number | null;
  /** CSS custom property holding the line's colour. */
  color: string;
}

interface ChartSpec {
  id: string;
  title: string;
  lines: Line[];
  format(v: number | null): string;
}

const CHARTS: ChartSpec[] = [
  {
    id: "chart-depth",
    title: "Backlog and in flight",
    format: count,
    lines: [
      { label: "backlog", pick: (p) => p.backlog, color: "--line-1" },
      { label: "in flight", pick: (p) => p.inFlight, color: "--line-2" },
    ],
  },
  {
    id: "chart-rates",
    title: "Rates (messages/s)",
    format: rate,
    lines: [
      { label: "publish", pick: (p) => p.publishRate, color: "--line-1" },
      { label: "deliver", pick: (p) => p.deliverRate, color: "--line-3" },
      { label: "ack", pick: (p) => p.ackRate, color: "--line-2" },
    ],
  },
  {
    id: "chart-lag",
    title: "Consumer lag",
    format: count,
    lines: [{ label: "lag", pick: (p) => p.lag, color: "--line-4" }],
  },
];

const HEIGHT = 160;

/** The last known value of a line. */
function newest(values: ArrayLike<number | null | undefined> | undefined): number | null {
  if (values === undefined) return null;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** Time axis labels: `14:03` over long windows, `14:03:20` over short ones. */
function timeTick(seconds: number, u: uPlot): string {
  const xs = u.data[0];
  const span = xs.length > 1 ? (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0) : 0;
  const label = clock(seconds * 1000);
  return span > 20 * 60 ? label.slice(0, 5) : label;
}

/** Value axis labels: `0`, `2.5`, `250`, `12k`, `1.2M`. */
function axisNumber(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(v / 1e3).toFixed(0)}k`;
  if (abs >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(abs < 10 ? 1 : 0));
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function Chart({ spec, data }: { spec: ChartSpec; data: uPlot.AlignedData }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = holder.current;
    if (el === null) return;
    const axis = {
      stroke: cssVar("--muted"),
      grid: { stroke: cssVar("--grid"), width: 1 },
      ticks: { stroke: cssVar("--grid"), width: 1 },
      font: `11px ${cssVar("--font-ui")}`,
    };
    const options: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
      series: [
        {},
        ...spec.lines.map((l) => ({
          label: l.label,
          stroke: cssVar(l.color),
          width: 1.5,
          points: { show: false },
          spanGaps: false,
          // The value under the cursor; away from the chart, the newest one.
          value: (u: uPlot, v: number | null, seriesIdx: number, idx: number | null) =>
            spec.format(idx === null ? newest(u.data[seriesIdx]) : v),
        })),
      ],
      axes: [
        { ...axis, space: 70, values: (u, splits) => splits.map((s) => timeTick(s, u)) },
        { ...axis, size: 50, values: (_u, splits) => splits.map(axisNumber) },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(options, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Built once per chart; data changes go through setData below.
  }, [spec]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const xs = data[0] as number[];
  const last = spec.lines.map((l, i) => {
    const ys = data[i + 1] as (number | null)[];
    return [l.label, ys.length > 0 ? (ys[ys.length - 1] ?? null) : null] as const;
  });
  return (
    <figure
      class="chart"
      id={spec.id}
      data-points={xs.length}
      data-last={JSON.stringify(Object.fromEntries(last))}
    >
      <figcaption>{spec.title}</figcaption>
      <div class="plot" ref={holder} />
    </figure>
  );
}

export function ChartPanel({
  buffer,
  version,
  windowChoice,
  onWindow,
  selectedId,
  selectedName,
  onClearSelection,
}: {
  buffer: HistoryBuffer;
  version: number;
  windowChoice: WindowChoice;
  onWindow(choice: WindowChoice): void;
  selectedId: string | null;
  selectedName: string | null;
  onClearSelection(): void;
}) {
  const windowMs = WINDOWS.find((w) => w.choice === windowChoice)?.ms ?? null;
  const datasets = useMemo(() => {
    const points = buffer.window(windowMs);
    const xs = points.map((p) => p.t / 1000);
    const series = seriesOf(points, selectedId);
    return CHARTS.map((spec): uPlot.AlignedData => [
      xs,
      ...spec.lines.map((l) => series.map((p) => (p === null ? null : l.pick(p)))),
    ]);
    // `version` changes whenever the buffer does.
  }, [buffer, version, windowMs, selectedId]);
  const kept = buffer.size;
  const spanMs = kept > 1 ? (buffer.window(null).at(-1)?.t ?? 0) - (buffer.window(null)[0]?.t ?? 0) : 0;
  return (
    <section class="panel charts" id="charts">
      <div class="charts-head">
        <h2>
          Over time:{" "}
          <span class="series-name" id="series-name" data-selected={selectedId ?? ""}>
            {selectedId === null ? "all work queues" : (selectedName ?? selectedId)}
          </span>
          {selectedId !== null && (
            <button type="button" class="clear" onClick={onClearSelection}>
              show all
            </button>
          )}
        </h2>
        <div class="windows" role="group" aria-label="time window">
          {WINDOWS.map((w) => (
            <button
              type="button"
              key={w.choice}
              class={w.choice === windowChoice ? "on" : ""}
              aria-pressed={w.choice === windowChoice}
              data-window={w.choice}
              onClick={() => onWindow(w.choice)}
            >
              {w.label}
            </button>
          ))}
        </div>
      </div>
      <div class="chart-grid">
        {CHARTS.map((spec, i) => (
          <Chart key={spec.id} spec={spec} data={datasets[i] ?? [[]]} />
        ))}
      </div>
      <p class="muted kept" id="kept">
        {count(kept)} of {count(buffer.limit)} samples kept ({duration(spanMs)})
      </p>
    </section>
  );
}
