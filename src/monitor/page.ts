/**
 * The live page: one static HTML document whose script polls `/snapshot.json` and redraws. Every value is
 * written with textContent, never as HTML, so a queue named `<script>` stays a name. Non-empty dead-letter
 * queues get a section of their own: count, reasons where the monitor read them, and the `mqa dlq` commands.
 */
export function livePage(refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mqa monitor</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  #meta { color: #57606a; margin-bottom: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d0d7de; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr.critical td { background: #ffebe9; } tr.warning td { background: #fff8c5; }
  #alerts li.critical { color: #a40e26; } #alerts li.warning { color: #7d4e00; }
  #error { color: #a40e26; font-weight: 600; }
  h2 { font-size: 1rem; margin: 1rem 0 .25rem; }
  #dlq li { margin-bottom: .5rem; } #dlq code { display: block; font-size: 12px; color: #0a3069; }
  #dlq .note { color: #57606a; }
</style>
</head>
<body>
<h1>mqa monitor</h1>
<div id="meta">waiting for the first sample…</div>
<div id="error"></div>
<ul id="alerts"></ul>
<h2 id="dlq-title" hidden>dead letters</h2>
<ul id="dlq"></ul>
<table>
  <thead><tr><th>queue / group</th><th>role</th><th>backlog</th><th>in flight</th><th>consumers</th><th>publish/s</th><th>ack/s</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
const REFRESH_MS = ${Math.max(250, Math.round(refreshMs))};
const cell = (tr, text, numeric) => { const td = document.createElement("td"); td.textContent = text; if (numeric) td.className = "n"; tr.appendChild(td); };
const line = (parent, tag, text, className) => { const el = document.createElement(tag); el.textContent = text; if (className) el.className = className; parent.appendChild(el); };
function deadLetters(queues) {
  const list = document.getElementById("dlq");
  list.replaceChildren();
  for (const q of queues) {
    const d = q.deadLetters;
    if (q.role !== "dead-letter" || !d || q.backlog === 0) continue;
    const li = document.createElement("li");
    const reasons = d.byReason && d.byReason.length
      ? "by reason (newest " + d.sampled + "): " + d.byReason.map((r) => r.reason + " " + r.count).join(", ")
      : "reasons " + (d.reasonsNote || "not known");
    line(li, "div", q.resource + ": " + q.backlog + " dead letters · " + reasons);
    line(li, "code", d.commands.stats);
    line(li, "code", d.commands.redrive);
    if (d.commands.note) line(li, "div", d.commands.note, "note");
    list.appendChild(li);
  }
  document.getElementById("dlq-title").hidden = list.childElementCount === 0;
}
const rate = (r) => (r === undefined || r === null ? "–" : r.toFixed(1));
async function refresh() {
  try {
    const res = await fetch("snapshot.json", { cache: "no-store" });
    const s = await res.json();
    document.getElementById("meta").textContent =
      s.target + " · sample " + s.samples + (s.snapshot ? " at " + s.snapshot.at : "");
    document.getElementById("error").textContent = s.error ? "last sample failed: " + s.error : "";
    const worst = new Map();
    const list = document.getElementById("alerts");
    list.replaceChildren();
    for (const a of s.alerts) {
      const li = document.createElement("li");
      li.className = a.severity;
      li.textContent = a.severity + ": " + a.message + " — " + a.fix;
      list.appendChild(li);
      if (a.severity !== "info" && worst.get(a.resource) !== "critical") worst.set(a.resource, a.severity);
    }
    deadLetters(s.snapshot ? s.snapshot.queues : []);
    const rows = document.getElementById("rows");
    rows.replaceChildren();
    for (const q of (s.snapshot ? s.snapshot.queues : [])) {
      const tr = document.createElement("tr");
      const name = q.resource;
      if (worst.has(name)) tr.className = worst.get(name);
      cell(tr, name); cell(tr, q.role); cell(tr, String(q.backlog), true); cell(tr, String(q.inFlight), true);
      cell(tr, String(q.consumers), true); cell(tr, rate(q.publishRate), true); cell(tr, rate(q.ackRate), true);
      rows.appendChild(tr);
    }
  } catch (err) {
    document.getElementById("error").textContent = "the monitor is not answering: " + err;
  }
  setTimeout(refresh, REFRESH_MS);
}
refresh();
</script>
</body>
</html>
`;
}
