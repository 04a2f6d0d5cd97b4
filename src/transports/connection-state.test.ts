import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ConnectionState } from "../core/transport.js";
import { ConnectionStateCell } from "./connection-state.js";

/** A cell whose log lines and emitted transitions are recorded. */
function recorded(): { cell: ConnectionStateCell; seen: string[]; logged: string[] } {
  const logged: string[] = [];
  const log = pino(
    { level: "info" },
    { write: (line: string) => logged.push((JSON.parse(line) as { msg: string }).msg) },
  );
  const cell = new ConnectionStateCell(log, "test connection", { role: "publish" });
  const seen: string[] = [];
  cell.on((s, p) => seen.push(`${p.status}->${s.status}`));
  return { cell, seen, logged };
}

describe("ConnectionStateCell", () => {
  it("starts idle, logs and emits every transition old -> new", () => {
    const { cell, seen, logged } = recorded();
    expect(cell.state).toEqual({ status: "idle" });
    expect(cell.set({ status: "connecting", attempt: 1 })).toBe(true);
    expect(cell.set({ status: "ready" })).toBe(true);
    expect(seen).toEqual(["idle->connecting", "connecting->ready"]);
    expect(logged).toEqual(["test connection idle -> connecting", "test connection connecting -> ready"]);
  });

  it("does not emit a state equal to the current one, but does emit a changed attempt or error", () => {
    const { cell, seen } = recorded();
    const r: ConnectionState = { status: "reconnecting", attempt: 1, lastError: "refused" };
    expect(cell.set(r)).toBe(true);
    expect(cell.set({ status: "reconnecting", attempt: 1, lastError: "refused" })).toBe(false);
    expect(cell.set({ status: "reconnecting", attempt: 2, lastError: "refused" })).toBe(true);
    expect(cell.set({ status: "reconnecting", attempt: 2, lastError: "reset" })).toBe(true);
    expect(seen).toHaveLength(3);
  });

  it("lets closing go only to closed, and nothing leave closed", () => {
    const { cell, seen } = recorded();
    cell.set({ status: "ready" });
    cell.set({ status: "closing" });
    for (const s of [
      { status: "ready" },
      { status: "idle" },
      { status: "reconnecting", attempt: 1 },
      { status: "connecting", attempt: 1 },
    ] as const)
      expect(cell.set(s)).toBe(false);
    expect(cell.state.status).toBe("closing");
    expect(cell.set({ status: "closed" })).toBe(true);
    for (const s of [{ status: "ready" }, { status: "idle" }, { status: "closing" }] as const)
      expect(cell.set(s)).toBe(false);
    expect(cell.state.status).toBe("closed");
    expect(seen).toEqual(["idle->ready", "ready->closing", "closing->closed"]);
  });

  it("goes straight to closed from any open state (abort), and stops telling a listener that left", () => {
    const { cell, seen } = recorded();
    const extra: string[] = [];
    const off = cell.on((s) => extra.push(s.status));
    cell.set({ status: "ready" });
    off();
    expect(cell.set({ status: "closed" })).toBe(true);
    expect(seen).toEqual(["idle->ready", "ready->closed"]);
    expect(extra).toEqual(["ready"]);
  });

  it("keeps telling the other listeners when one throws", () => {
    const { cell, seen } = recorded();
    cell.on(() => {
      throw new Error("faulty listener");
    });
    const after: string[] = [];
    cell.on((s) => after.push(s.status));
    expect(cell.set({ status: "ready" })).toBe(true);
    expect(seen).toEqual(["idle->ready"]);
    expect(after).toEqual(["ready"]);
  });
});
