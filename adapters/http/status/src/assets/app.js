// The status page: one live stream (api/events) keeps a local copy of the kept queues; every
// URL is relative, so the page works under whatever prefix the app mounted it.
"use strict";

const SHOWN_MAX = 200;
const SVG = "http://www.w3.org/2000/svg";
const view = {
  queues: new Map(), version: 0, access: "read_only", phase: "serving",
  counts: null, histograms: null, dropped: 0, source: null, scheduled: false,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function ms(value) {
  if (value === null || value === undefined) return "";
  if (value < 1) return value.toFixed(2) + " ms";
  if (value < 1000) return value.toFixed(1) + " ms";
  return (value / 1000).toFixed(2) + " s";
}

// An update carries the queues changed since our version; a snapshot is an update since 0.
function apply(update) {
  view.version = update.version;
  view.access = update.access;
  view.phase = update.phase;
  view.counts = update.counts;
  view.histograms = update.histograms;
  view.dropped += update.dropped;
  for (const queue of update.queues) view.queues.set(queue.id, queue);
  if (update.oldest !== null) {
    for (const id of view.queues.keys()) if (id < update.oldest) view.queues.delete(id);
  }
  schedule();
}

function schedule() {
  if (view.scheduled) return;
  view.scheduled = true;
  requestAnimationFrame(() => { view.scheduled = false; render(); });
}

function connect() {
  if (view.source) return;
  const url = "api/events" + (view.version ? "?since=" + view.version : "");
  const source = new EventSource(url);
  view.source = source;
  source.addEventListener("update", (event) => apply(JSON.parse(event.data)));
  source.addEventListener("open", () => setConnection("live", "live"));
  source.addEventListener("error", () => {
    // EventSource reconnects by itself, sending Last-Event-ID; a closed one is reopened here.
    setConnection("reconnecting", "lost");
    if (source.readyState === EventSource.CLOSED) {
      view.source = null;
      setTimeout(connect, 1000);
    }
  });
}

function disconnect() {
  if (view.source) view.source.close();
  view.source = null;
  setConnection("paused", "");
}

function setConnection(text, kind) {
  const badge = document.getElementById("connection");
  badge.textContent = text;
  badge.className = "badge " + kind;
}

function matches(queue, search, status, state) {
  if (status === "none" && queue.status !== null) return false;
  if (status && status !== "none" && String(queue.status || "").charAt(0) !== status) return false;
  if (state && !queue.tasks.some((task) => task.state === state)) return false;
  if (!search) return true;
  const haystack = [queue.path || "", queue.method || ""]
    .concat(queue.tasks.map((task) => task.label + " " + (task.error || "")))
    .join(" ").toLowerCase();
  return haystack.includes(search);
}

function render() {
  renderHeader();
  renderCounts();
  renderChart("chart-delay", view.histograms && view.histograms.queue_delay);
  renderChart("chart-run", view.histograms && view.histograms.run_time);
  const search = document.getElementById("search").value.trim().toLowerCase();
  const status = document.getElementById("filter-status").value;
  const state = document.getElementById("filter-state").value;
  const all = Array.from(view.queues.values()).sort((a, b) => b.id - a.id);
  const shown = all.filter((queue) => matches(queue, search, status, state)).slice(0, SHOWN_MAX);
  document.getElementById("queues").replaceChildren(...shown.map(renderQueue));
  document.getElementById("shown").textContent = shown.length + " of " + all.length + " queues";
  renderEmpty(all.length, shown.length);
}

// An empty list says why: nothing happened yet, or the filters hide everything.
function renderEmpty(all, shown) {
  const empty = document.getElementById("empty");
  empty.hidden = shown > 0;
  empty.textContent = all === 0
    ? "No requests with background tasks yet: each one shows up here as it is served."
    : "No queue matches the search and filters.";
}

function renderHeader() {
  const phase = document.getElementById("phase");
  phase.textContent = view.phase;
  phase.className = "badge" + (view.phase === "draining" ? " draining" : "");
  const dropped = document.getElementById("dropped");
  dropped.hidden = view.dropped === 0;
  dropped.textContent = view.dropped + " queue updates merged away under load";
}

function renderCounts() {
  const c = view.counts;
  if (!c) return;
  const names = ["waiting", "running", "succeeded", "failed", "panicked", "timed_out", "skipped", "discarded", "abandoned"];
  document.getElementById("counts").replaceChildren(...names.map((name) =>
    el("div", { class: "count", "data-count": name }, el("b", {}, String(c[name])), name.replace("_", " "))));
}

function renderChart(id, counts) {
  const chart = document.getElementById(id);
  if (!counts) return;
  const bounds = view.histograms.bounds_ms;
  const peak = Math.max(1, ...counts);
  const width = 390 / counts.length;
  const nodes = [];
  counts.forEach((count, i) => {
    const height = Math.round((count / peak) * 90);
    nodes.push(svg("rect", { class: "bar", x: i * width + 2, y: 100 - height, width: width - 4, height }));
    if (count > 0) nodes.push(svg("text", { class: "axis", x: i * width + 4, y: 98 - height }, String(count)));
    const label = i < bounds.length ? (bounds[i] >= 1000 ? bounds[i] / 1000 + "s" : String(bounds[i])) : "more";
    nodes.push(svg("text", { class: "axis", x: i * width + 2, y: 115 }, label));
  });
  chart.replaceChildren(...nodes);
}

function renderQueue(queue) {
  const ok = queue.status !== null && queue.status < 400;
  const head = el("div", { class: "queue-head" },
    el("span", { class: "method" }, queue.method || "queue"),
    el("span", { class: "path" }, queue.path || "#" + queue.id),
    el("span", { class: ok ? "status-ok" : "status-bad" }, queue.status === null ? "no response" : String(queue.status)),
    el("span", { class: "note" }, queue.ending || ""),
    el("span", { class: "note" }, queue.response_end ? new Date(queue.response_end).toLocaleTimeString() : ""),
    el("span", { class: "note" }, queue.queue_delay_ms !== null ? "first task +" + ms(queue.queue_delay_ms) : ""));
  const tasks = el("ul", { class: "tasks" }, ...queue.tasks.map(renderTask));
  return el("div", { class: "queue", "data-queue": String(queue.id) }, head, tasks, renderTimeline(queue));
}

function renderTask(task) {
  const cancel = view.access === "admin" && task.state === "queued"
    ? el("button", { class: "cancel", type: "button", onclick: () => cancelTask(task.id) }, "cancel")
    : null;
  return el("li", { class: "task", "data-task": task.id, "data-state": task.state },
    el("span", { class: "state state-" + task.state }, task.state),
    el("span", { class: "label" }, task.label),
    el("span", { class: "note" }, task.kind),
    el("span", { class: "note" }, ms(task.duration_ms)),
    task.error ? el("span", { class: "error" }, task.error) : null,
    task.job_id ? el("span", { class: "job" }, "job " + task.job_id) : null,
    cancel);
}

// The request's timeline: its response end at 0, then each task from its start to its end.
function renderTimeline(queue) {
  const origin = queue.response_end || (queue.tasks[0] && queue.tasks[0].queued) || 0;
  // A running task's bar reaches now (the browser's clock: good enough for a picture).
  const endOf = (task) => task.ended || (task.started ? Math.max(task.started, Date.now()) : origin);
  const ends = queue.tasks.map(endOf);
  const span = Math.max(1, ...ends.map((end) => end - origin));
  const row = 12;
  const chart = svg("svg", { class: "timeline", viewBox: "0 0 600 " + (row * (queue.tasks.length + 1)) });
  chart.append(svg("rect", { class: "response", x: 0, y: 2, width: 2, height: row * (queue.tasks.length + 1) - 4 }));
  chart.append(svg("text", { x: 6, y: 10 }, "response end"));
  queue.tasks.forEach((task, i) => {
    if (!task.started) return;
    const x = 4 + ((task.started - origin) / span) * 440;
    const width = Math.max(2, ((endOf(task) - task.started) / span) * 440);
    const y = row * (i + 1);
    chart.append(svg("rect", { class: "span-" + task.state, x, y: y + 2, width, height: row - 4 }));
    // Right of the bar, or in the column past the bars; the label cut (at about 6 units a
    // character, a digit's width) so that the text ends inside the chart; all of it in a tooltip.
    const at = Math.min(x + width + 4, 450);
    const prefix = "+" + ms(task.started - origin) + " ";
    const room = Math.max(4, Math.floor((600 - at) / 6) - prefix.length);
    const text = svg("text", { x: at, y: y + 10 }, prefix + short(task.label, room));
    text.append(svg("title", {}, task.label));
    chart.append(text);
  });
  return chart;
}

function short(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
}

async function cancelTask(id) {
  const response = await fetch("api/tasks/" + encodeURIComponent(id) + "/cancel", { method: "POST" });
  const message = document.getElementById("message");
  if (response.ok) {
    message.textContent = "";
  } else {
    const body = await response.json().catch(() => ({ error: response.statusText }));
    message.textContent = "cancel refused: " + body.error;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["search", "filter-status", "filter-state"]) {
    // "change" too: a select, or a field cleared by script, may send only that.
    document.getElementById(id).addEventListener("input", schedule);
    document.getElementById(id).addEventListener("change", schedule);
  }
  // No stream while the tab is hidden; on return it resumes from the version it had.
  document.addEventListener("visibilitychange", () => (document.hidden ? disconnect() : connect()));
  connect();
});
