/**
 * The live page: one static HTML document whose script polls `/snapshot.json` and redraws. Every value is
 * written with textContent, never as HTML, so a queue named `<script>` stays a name.
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
</style>
</head>
<body>
<h1>mqa monitor</h1>
<div id="meta">waiting for the first sample…</div>
<div id="error"></div>
<ul id="alerts"></ul>
<table>
  <thead><tr><th>queue / group</th><th>role</th><th>backlog</th><th>in flight</th><th>consumers</th><th>publish/s</th><th>ack/s</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
const REFRESH_MS = ${Math.max(250, Math.round(refreshMs))};
const cell = (tr, text, numeric) => { const td = document.createElement("td"); td.textContent = text; if (numeric) td.className = "n"; tr.appendChild(td); };
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
