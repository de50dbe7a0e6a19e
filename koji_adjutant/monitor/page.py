"""The status page served at ``/``: one static HTML document that polls the JSON API.

No framework and no build step: a little plain JavaScript fetches
``/api/v1/status`` and ``/api/v1/tasks`` every ``REFRESH_MS`` and, for each
running task, the last lines of its ``build.log`` (or of its newest log).
All text is inserted with ``textContent``, never as HTML.
"""

REFRESH_MS = 2000

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>koji-adjutant builder</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.badge { display: inline-block; padding: .1em .6em; border-radius: .8em; color: #fff; }
.ok { background: #2a7d2a; } .bad { background: #b02a2a; } .idle { background: #777; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #eee; } pre { background: #111; color: #ddd; padding: .6em; margin: .3em 0;
  max-height: 22em; overflow: auto; white-space: pre-wrap; font-size: 12px; }
#facts td:first-child { width: 14em; color: #555; }
</style></head>
<body>
<h1>koji-adjutant on <span id="host">?</span> <span id="health" class="badge idle">...</span></h1>
<table id="facts"><tbody></tbody></table>
<h2>Running tasks</h2><div id="running"><p>none</p></div>
<h2>Recently finished</h2>
<table id="recent"><thead><tr><th>task</th><th>method</th><th>arch</th><th>tag</th>
<th>state</th><th>duration</th><th>result / failure</th></tr></thead><tbody></tbody></table>
<p><small>Refreshes every REFRESH s. JSON: <a href="api/v1/status">status</a>,
<a href="api/v1/tasks">tasks</a>, <a href="api/v1/containers">containers</a>,
<a href="metrics">metrics</a>.</small></p>
<script>
"use strict";
function el(tag, text, cls) { const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls; return e; }
function row(cells) { const tr = el("tr"); cells.forEach(c => tr.appendChild(el("td", c))); return tr; }
async function get(path, text) { const r = await fetch(path, {cache: "no-store"});
  if (!r.ok) throw new Error(path + ": " + r.status); return text ? r.text() : r.json(); }
function when(ts) { return ts ? new Date(ts * 1000).toLocaleTimeString() : "-"; }
function outcome(t) { if (t.failure) return t.failure;
  if (t.result && typeof t.result === "object") return Object.keys(t.result).join(", ");
  return t.result === null || t.result === undefined ? "" : String(t.result); }
async function showStatus() {
  const s = await get("api/v1/status");
  document.getElementById("host").textContent = s.host.name + " (id " + s.host.id + ")";
  const h = document.getElementById("health");
  h.textContent = s.ready ? "ready" : (s.healthy ? "not ready" : "unhealthy");
  h.className = "badge " + (s.healthy ? (s.ready ? "ok" : "idle") : "bad");
  const facts = [["version", s.version], ["uptime", Math.round(s.uptime) + " s"],
    ["ready", s.ready ? "yes" : "no: " + (s.ready_reason || "")],
    ["load / capacity", s.task_load + " / " + s.capacity + " (maxjobs " + s.maxjobs + ")"],
    ["running tasks", s.running_tasks],
    ["podman", s.podman.reachable ? "reachable, " + s.podman.version : "unreachable: " + s.podman.error],
    ["hub", (s.hub.reachable ? "reachable" : "unreachable") + ", last contact " + when(s.hub.last_contact)],
    ["disk (" + s.disk.path + ")", s.disk.free_mb + " MB free of " + s.disk.total_mb + " MB"]];
  const body = document.querySelector("#facts tbody"); body.replaceChildren();
  facts.forEach(f => body.appendChild(row(f)));
}
async function showTasks() {
  const all = (await get("api/v1/tasks")).tasks;
  const running = all.filter(t => t.finished === null);
  const box = document.getElementById("running"); const parts = [];
  for (const t of running) {
    const div = el("div", null, "task"); div.id = "task-" + t.id;
    div.appendChild(el("h3", "task " + t.id + ": " + t.method + " " + (t.arch || "") + " " + (t.tag || "")));
    div.appendChild(el("p", "container " + (t.container || "-") + ", image " + (t.image || "-") +
      ", buildroot " + (t.buildroot_id || "-") + ", running " + Math.round(t.duration) + " s"));
    const logs = (await get("api/v1/tasks/" + t.id + "/logs")).logs.map(l => l.name);
    const name = logs.includes("build.log") ? "build.log" : (logs.includes("root.log") ? "root.log" : logs[0]);
    if (name) { div.appendChild(el("div", name));
      const pre = el("pre", await get("api/v1/tasks/" + t.id + "/logs/" + name + "?tail=40", true));
      div.appendChild(pre); parts.push(div); continue; }
    parts.push(div);
  }
  box.replaceChildren(...(parts.length ? parts : [el("p", "none")]));
  box.querySelectorAll("pre").forEach(pre => { pre.scrollTop = pre.scrollHeight; });
  const body = document.querySelector("#recent tbody"); body.replaceChildren();
  all.filter(t => t.finished !== null).forEach(t => body.appendChild(row([t.id, t.method,
    t.arch, t.tag, t.state, Math.round(t.duration) + " s", outcome(t)])));
}
async function refresh() {
  try { await showStatus(); await showTasks(); }
  catch (e) { const h = document.getElementById("health"); h.textContent = "no answer";
    h.className = "badge bad"; }
  setTimeout(refresh, REFRESH_MS);
}
refresh();
</script></body></html>
""".replace("REFRESH_MS", str(REFRESH_MS)).replace("REFRESH s", f"{REFRESH_MS // 1000} s")
