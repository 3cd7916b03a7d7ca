// plantloop operator console: one page, views by URL hash, data from the JSON API, live
// updates from the server-sent event stream. Read-only: nothing here writes anything.
import { timeChart, outcomeStrip, fmtNum, PALETTE } from "./charts.js";

export const OUTCOME_COLORS = {
  wrote: "#3fb950", no_change: "#2f8f46", advisory: "#39c5cf",
  held_bad_data: "#d29922", held_no_permissive: "#e3b341", held_solver: "#bb8009",
  held_rule: "#f0883e", held_no_record: "#9e6a03", arming: "#7ee787", shed: "#f85149",
  write_failed: "#da3633", error: "#db61a2", abandoned: "#8b949e", skipped: "#6e7681",
};
const STATE_CLASS = {
  running: "ok", advisory: "info", shed: "bad", held: "warn", write_failed: "bad",
  error: "bad", abandoned: "warn", starting: "info", stopping: "warn", stopped: "warn",
  waiting: "info", arming: "info", skipped: "warn",
};

const $ = (sel) => document.querySelector(sel);
const main = () => $("#view");
let status = null;
let rendering = 0;

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "onclick") e.addEventListener("click", v); else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
const when = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") + " UTC" : "—");
const ms = (iso) => Date.parse(iso);
const num = (v, unit) => (v === null || v === undefined ? "—" : fmtNum(+v) + (unit ? " " + unit : ""));
const badge = (outcome) => h("span", { class: "badge", style: `background:${OUTCOME_COLORS[outcome] || "#888"}` }, outcome);

function section(title, ...kids) {
  return h("section", { class: "card" }, h("h2", {}, title), ...kids);
}
function table(head, rows, cls) {
  return h("table", { class: cls || "" },
    h("thead", {}, h("tr", {}, head.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((x) => h("td", {}, x))))));
}

// ---------- header (live state) ----------
function renderHeader(s) {
  status = s;
  $("#plant").textContent = s.plant || "plantloop";
  const st = $("#state");
  st.textContent = s.state;
  st.className = "state " + (STATE_CLASS[s.state] || "info");
  st.dataset.state = s.state;
  $("#state-why").textContent = (s.why || []).join(" · ");
  const c = s.connection;
  $("#conn").textContent = c ? `connection ${c.state}` : "review of a decision log";
  $("#conn").className = "pill " + (c ? (c.state === "connected" ? "ok" : "warn") : "info");
  const last = s.last_cycle;
  $("#last").textContent = last ? `cycle #${last.cycle} ${last.outcome} at ${when(last.ended)}` : "no cycle yet";
  $("#last").dataset.id = last ? last.id : "";
  $("#next").textContent = s.next_run ? `next run ${when(s.next_run)}` : "";
}

// ---------- views ----------
// the overview's cycles: fetched once, then only the new ones after each cycle
let cyclesCache = [];
async function recentCycles() {
  const last = cyclesCache.length ? cyclesCache[cyclesCache.length - 1].id : null;
  const fresh = await api("/api/cycles?limit=2000" + (last === null ? "" : `&after_id=${last}`));
  cyclesCache = cyclesCache.concat(fresh).slice(-2000);
  return cyclesCache;
}
async function overview() {
  const s = status || (await api("/api/status"));
  const cycles = await recentCycles();
  const p = s.permissive || {};
  const last = s.last_cycle;
  const strip = h("div", { id: "strip" });
  const trend = h("div", { id: "objective-chart" });
  const view = [
    h("div", { class: "grid" },
      section("Loop", h("p", { class: "big state-text " + (STATE_CLASS[s.state] || "") }, s.state),
        h("ul", { class: "why", id: "overview-why" }, (s.why || []).map((w) => h("li", {}, w))),
        s.advisory ? h("p", {}, "advisory mode: nothing is written") : null),
      section("Last cycle", last ? h("dl", {},
        h("dt", {}, "cycle"), h("dd", {}, h("a", { href: `#/cycle/${last.id}` }, `#${last.cycle}`), " ", badge(last.outcome)),
        h("dt", {}, "ended"), h("dd", {}, when(last.ended)),
        h("dt", {}, "objective"), h("dd", {}, num(last.objective)),
        h("dt", {}, "solve"), h("dd", {}, last.solve_time_s === null ? "—" : `${fmtNum(last.solve_time_s)} s, gap ${last.gap === null ? "—" : (100 * last.gap).toFixed(2) + " %"}`),
        h("dt", {}, "next run"), h("dd", {}, s.next_run ? when(s.next_run) : "—")) : h("p", {}, "no cycle recorded yet")),
      section("Plant interface", h("dl", {},
        h("dt", {}, "connection"), h("dd", {}, s.connection ? `${s.connection.state} ${s.connection.detail}` : "not live (log review)"),
        h("dt", {}, "permissive"), h("dd", { id: "permissive" }, p.tag ? `${p.tag} = ${p.value === null ? "not read" : p.value} (${p.quality || "—"})` : "not configured"),
        h("dt", {}, "watchdog"), h("dd", {}, s.watchdog === null ? "—" : String(s.watchdog)),
        h("dt", {}, "decision log"), h("dd", {}, `${(s.log.bytes / 1e6).toFixed(1)} MB, ${(s.log.free_bytes / 1e9).toFixed(1)} GB free`)))),
    section(`Outcomes (${cycles.length} cycles; click one to open it)`, strip, h("div", { class: "legend" },
      Object.entries(OUTCOME_COLORS).map(([k, c]) => h("span", { class: "item" }, h("span", { class: "sw", style: `background:${c}` }), k)))),
    section("Objective and solve time", trend),
  ];
  main().replaceChildren(...view);
  outcomeStrip(strip, cycles, OUTCOME_COLORS, (c) => { location.hash = `#/cycle/${c.id}`; });
  timeChart(trend, {
    times: cycles.map((c) => ms(c.started)), zero: false, height: 200,
    series: [
      { name: "objective", values: cycles.map((c) => c.objective) },
      { name: "solve time (s)", values: cycles.map((c) => c.solve_time_s), axis: "right", color: "#f2a541" },
    ],
    onPick: (i) => { location.hash = `#/cycle/${cycles[i].id}`; },
  });
}

function cyclePicker(current, target) {
  const box = h("div", { class: "picker" });
  api("/api/cycles?limit=300").then((cs) => {
    const sel = h("select", { id: "cycle-select" },
      h("option", { value: "" }, "newest cycle (live)"),
      cs.slice().reverse().map((c) => h("option", { value: c.id, selected: String(c.id) === String(current) }, `#${c.cycle} ${when(c.started)} ${c.outcome}`)));
    sel.addEventListener("change", () => { location.hash = sel.value ? `#/${target}/${sel.value}` : `#/${target}`; });
    box.replaceChildren(h("label", {}, "cycle ", sel));
  });
  return box;
}

async function plan(id) {
  const p = await api(id ? `/api/plan?cycle=${id}` : "/api/plan");
  const head = h("div", { class: "bar" }, cyclePicker(id, "plan"),
    h("span", {}, h("a", { href: `#/cycle/${p.id}` }, `cycle #${p.cycle}`), " ", badge(p.outcome), " started ", when(p.started)));
  if (!p.plan) {
    main().replaceChildren(head, section("Plan", h("p", { class: "held-reason" },
      `No plan in this cycle (${p.outcome}): `, (p.reasons || []).join("; "))));
    return;
  }
  const plan = p.plan;
  const times = plan.periods.map(ms);
  const cards = [];
  const charts = [];
  for (const [carrier, c] of Object.entries(plan.carriers)) {
    const names = Object.keys(c.supply);
    if (!names.length && !c.demand.some((x) => x)) continue;
    const el = h("div", { class: "plan-chart", "data-carrier": carrier });
    cards.push(section(`${carrier} (${c.unit})`, el));
    const series = names.map((n, k) => ({ name: n, values: c.supply[n], stack: true, color: PALETTE[k % PALETTE.length] }));
    series.push({ name: "site demand", values: c.demand, color: "#e6e9ee", width: 2.5 });
    const useNames = Object.keys(c.use || {});
    if (useNames.length) {
      const total = c.demand.map((d, i) => (d === null ? null : d + useNames.reduce((a, n) => a + (c.use[n][i] || 0), 0)));
      series.push({ name: "demand + units' use", values: total, color: "#e6e9ee", dash: "5 4", width: 1.5 });
    }
    if (c.unmet) series.push({ name: "unmet", values: c.unmet, color: "#f85149", width: 2 });
    if (c.marginal_price) series.push({ name: `marginal price (${plan.currency}/${c.unit}h)`, values: c.marginal_price, axis: "right", color: "#ffd33d", dash: "2 3" });
    charts.push([el, { times, series, yLabel: c.unit, y2Label: c.marginal_price ? plan.currency : "" }]);
  }
  for (const [name, s] of Object.entries(plan.storage)) {
    const el = h("div", { class: "plan-chart", "data-storage": name });
    cards.push(section(`${name}: state of charge (% of ${fmtNum(s.capacity)} ${plan.carriers[s.carrier].unit}h)`, el));
    charts.push([el, { times, series: [{ name: `${name} SoC %`, values: s.soc.map((x) => (x === null ? null : (100 * x) / s.capacity)), color: "#59c27a" }], yLabel: "%" }]);
  }
  for (const [name, g] of Object.entries(plan.grid)) {
    const el = h("div", { class: "plan-chart", "data-grid": name });
    cards.push(section(`${name}: import / export and price`, el));
    const unit = plan.carriers[g.carrier].unit;
    const series = [
      { name: "import", values: g.import, stack: true, color: "#4e9af1" },
      { name: "export", values: g.export.map((x) => (x === null ? null : -x)), stack: true, color: "#3fc1c9" },
      { name: `import price (${plan.currency}/${unit}h)`, values: g.import_price, axis: "right", color: "#f2a541" },
    ];
    if (g.export_price) series.push({ name: `export price (${plan.currency}/${unit}h)`, values: g.export_price, axis: "right", color: "#a77bd6", dash: "4 3" });
    charts.push([el, { times, series, yLabel: unit, y2Label: plan.currency }]);
  }
  main().replaceChildren(head, h("div", { class: "plans" }, cards));
  for (const [el, o] of charts) timeChart(el, o);
}

function opLimit(rec, tag) {
  if (!tag) return null;
  const i = (rec.inputs || []).find((x) => x.tag === tag);
  return i ? i.used ?? i.value : null;
}

async function setpoints(id) {
  const path = id ? `/api/cycles/${id}` : "/api/cycles/latest";
  let rec = await api(`${path}?inputs=none`);
  const lim = (rec.limits && rec.limits.setpoints) || {};
  const opTags = Object.values(lim).flatMap((l) => [l.operator_min_tag, l.operator_max_tag]).filter((t) => t);
  if (opTags.length) rec = await api(`/api/cycles/${rec.id}?inputs=${opTags.map(encodeURIComponent).join(",")}`);
  const rows = (rec.setpoints || []).map((s) => {
    const L = lim[s.tag] || {};
    const omin = opLimit(rec, L.operator_min_tag), omax = opLimit(rec, L.operator_max_tag);
    return [
      h("strong", {}, s.tag), L.mode || "—", num(s.current, L.unit), num(s.proposed), num(s.clamped_to), num(s.written), num(s.read_back),
      L.min === undefined ? "—" : `${fmtNum(L.min)} … ${fmtNum(L.max)}`,
      omin === null && omax === null ? "—" : `${num(omin)} … ${num(omax)}`,
      rangeBar(s, L, omin, omax), s.write_status || "—", h("span", { class: "reason" }, s.reason || ""),
    ];
  });
  main().replaceChildren(
    h("div", { class: "bar" }, cyclePicker(id, "setpoints"), h("span", {}, h("a", { href: `#/cycle/${rec.id}` }, `cycle #${rec.cycle}`), " ", badge(rec.outcome))),
    section("Setpoints", rows.length ? table(["tag", "mode", "current", "proposed", "clamped", "written", "read back", "hard limits", "operator limits", "", "write", "reason"], rows, "setpoints")
      : h("p", { class: "held-reason" }, `nothing decided this cycle (${rec.outcome}): ${(rec.reasons || []).join("; ")}`)));
}

function rangeBar(s, L, omin, omax) {
  if (L.min === undefined) return "";
  const W = 160, H = 18;
  const span = L.max - L.min || 1;
  const X = (v) => 4 + ((Math.min(Math.max(v, L.min), L.max) - L.min) / span) * (W - 8);
  const e = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  e.setAttribute("width", W); e.setAttribute("height", H); e.setAttribute("class", "range");
  let inner = `<rect x="4" y="7" width="${W - 8}" height="4" fill="#30363d"/>`;
  if (omin !== null || omax !== null) {
    const a = X(omin ?? L.min), b = X(omax ?? L.max);
    inner += `<rect x="${a}" y="5" width="${Math.max(b - a, 1)}" height="8" fill="#1f6feb" opacity=".6"/>`;
  }
  const mark = (v, color, label) => (v === null || v === undefined ? "" : `<line x1="${X(v)}" x2="${X(v)}" y1="1" y2="17" stroke="${color}" stroke-width="2"><title>${label} ${fmtNum(v)}</title></line>`);
  inner += mark(s.current, "#8b949e", "current") + mark(s.proposed, "#f2a541", "proposed") + mark(s.written, "#3fb950", "written");
  e.innerHTML = inner;
  return e;
}

async function process(id) {
  const rec = await api((id ? `/api/cycles/${id}` : "/api/cycles/latest") + "?inputs=none");
  const cvs = (rec.limits && rec.limits.cvs) || {};
  const solver = rec.solver || {};
  const tags = Object.values(cvs).map((c) => encodeURIComponent(c.tag)).join(",");
  const hist = await api(`/api/trends?limit=288&until_id=${rec.id}&tags=${tags}`);
  const cards = [];
  const charts = [];
  for (const [name, cv] of Object.entries(cvs)) {
    const el = h("div", { class: "cv-chart", "data-cv": name });
    cards.push(section(`${name} (${cv.tag}${cv.unit ? ", " + cv.unit : ""}) priority ${cv.priority}`, el));
    charts.push([el, {
      times: hist.map((r) => ms(r.started)), zero: false,
      series: [
        { name: "measured", values: hist.map((r) => r.values[cv.tag] ?? null), color: "#4e9af1" },
        { name: "predicted (steady state)", values: hist.map((r) => r.cv_predictions[name] ?? null), color: "#f2a541", dash: "5 3" },
      ],
      hlines: [
        { y: cv.low, label: "low", color: "#f85149" }, { y: cv.high, label: "high", color: "#f85149" },
        { y: cv.target, label: "target", color: "#3fb950", dash: "2 3" },
      ],
    }]);
  }
  const moves = Object.entries(solver.mv_moves || {});
  const relaxed = solver.relaxed || [];
  main().replaceChildren(
    h("div", { class: "bar" }, cyclePicker(id, "process"), h("span", {}, h("a", { href: `#/cycle/${rec.id}` }, `cycle #${rec.cycle}`), " ", badge(rec.outcome))),
    cards.length ? h("div", { class: "plans" }, cards) : section("Controlled variables", h("p", {}, "no compensation loops configured")),
    h("div", { class: "grid" },
      section("MV moves this cycle", moves.length ? table(["MV", "move"], moves.map(([k, v]) => [k, num(v)])) : h("p", {}, "none")),
      section("Relaxed limits (what was given up)", relaxed.length ? table(["CV", "tag", "limit", "rank", "by"], relaxed.map((r) => [r.cv, r.tag, r.limit, r.rank, num(r.by)])) : h("p", {}, "no limit relaxed"))));
  for (const [el, o] of charts) timeChart(el, o);
}

function whySection(rec) {
  const s = rec.solver || {};
  const terms = Object.entries(s.terms || {});
  const tiers = Object.entries(s.tiers || {});
  return [
    section("Outcome", h("p", {}, badge(rec.outcome)), h("ul", { class: "why reasons" }, (rec.reasons || []).map((r) => h("li", {}, r))),
      (rec.faults || []).length ? h("ul", { class: "faults" }, rec.faults.map((f) => h("li", {}, f))) : null),
    section("Why the plan looks like this", (s.why || []).length ? h("ul", { class: "why" }, s.why.map((w) => h("li", {}, w))) : h("p", {}, "no explanation recorded")),
    h("div", { class: "grid" },
      section("Objective by term", terms.length ? table(["term", "value"], terms.map(([k, v]) => [k, num(v)])) : h("p", {}, "—")),
      section("Objective by priority tier", tiers.length ? table(["tier", "value"], tiers.map(([k, v]) => [k, num(v)])) : h("p", {}, "—")),
      section("Solver", h("dl", {},
        h("dt", {}, "status"), h("dd", {}, `${s.status || "—"} (${s.termination || "—"}, ${s.attempt || "—"})`),
        h("dt", {}, "objective"), h("dd", {}, num(s.objective)),
        h("dt", {}, "bound / gap"), h("dd", {}, `${num(s.bound)} / ${s.gap === null || s.gap === undefined ? "—" : (100 * s.gap).toFixed(2) + " %"}`),
        h("dt", {}, "time"), h("dd", {}, `${num(s.solve_time_s)} s solve, ${num(s.wall_time_s)} s wall`),
        h("dt", {}, "message"), h("dd", {}, s.message || "—")))),
  ];
}

async function why(id) {
  const rec = await api((id ? `/api/cycles/${id}` : "/api/cycles/latest") + "?inputs=none");
  main().replaceChildren(h("div", { class: "bar" }, cyclePicker(id, "why"),
    h("span", {}, h("a", { href: `#/cycle/${rec.id}` }, `cycle #${rec.cycle}`), " ", when(rec.started))), ...whySection(rec));
}

async function cycle(id) {
  const rec = await api(`/api/cycles/${id}`);
  const inputs = (rec.inputs || []).map((i) => [i.tag, JSON.stringify(i.value), i.quality || "—", JSON.stringify(i.used), i.substituted ? "substituted" : "", i.issue || ""]);
  const phases = Object.entries(rec.phase_seconds || {}).map(([k, v]) => [k, `${(1000 * v).toFixed(1)} ms`]);
  main().replaceChildren(
    h("div", { class: "bar" },
      h("h1", { id: "cycle-title" }, `Cycle #${rec.cycle} `, badge(rec.outcome)),
      h("span", {}, `run ${rec.run_id}, ${when(rec.started)} → ${when(rec.ended)}, ${rec.mode}, config ${rec.config_hash.slice(0, 12)}`),
      h("a", { href: `/api/cycles/${rec.id}`, id: "cycle-json" }, "JSON"),
      h("a", { href: `#/plan/${rec.id}` }, "plan"), h("a", { href: `#/setpoints/${rec.id}` }, "setpoints"),
      h("a", { href: `#/process/${rec.id}` }, "process")),
    ...whySection(rec),
    h("div", { class: "grid" },
      section("Phases", table(["phase", "time"], phases)),
      section("Watchdog and sequence", h("dl", {}, h("dt", {}, "watchdog"), h("dd", {}, rec.watchdog ?? "—"), h("dt", {}, "sequence"), h("dd", {}, rec.sequence ?? "—")))),
    section("Setpoints", table(["tag", "current", "proposed", "clamped", "written", "read back", "status", "reason"],
      (rec.setpoints || []).map((s) => [s.tag, num(s.current), num(s.proposed), num(s.clamped_to), num(s.written), num(s.read_back), s.write_status || "—", s.reason || ""]))),
    section(`Inputs (${inputs.length})`, table(["tag", "read", "quality", "used", "", "issue"], inputs, "inputs")));
}

async function cyclesList() {
  const outcome = new URLSearchParams(location.hash.split("?")[1] || "").get("outcome") || "";
  const cs = await api("/api/cycles?limit=500" + (outcome ? `&outcome=${outcome}` : ""));
  const sel = h("select", { id: "outcome-filter" }, h("option", { value: "" }, "all outcomes"),
    Object.keys(OUTCOME_COLORS).map((o) => h("option", { value: o, selected: o === outcome }, o)));
  sel.addEventListener("change", () => { location.hash = "#/cycles" + (sel.value ? `?outcome=${sel.value}` : ""); });
  main().replaceChildren(h("div", { class: "bar" }, h("label", {}, "filter ", sel)),
    section(`${cs.length} cycles (newest first)`, table(["cycle", "started", "outcome", "objective", "solve (s)", "reasons"],
      cs.slice().reverse().map((c) => [h("a", { href: `#/cycle/${c.id}`, class: "cycle-link" }, `#${c.cycle}`), when(c.started), badge(c.outcome), num(c.objective), num(c.solve_time_s), c.reasons.join("; ")]), "cycles")));
}

const ROUTES = { overview, plan, setpoints, process, why, cycle, cycles: cyclesList };

async function route() {
  const [name, id] = (location.hash.replace(/^#\/?/, "").split("?")[0] || "overview").split("/");
  const view = ROUTES[name] ? name : "overview";
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
  const mine = ++rendering;
  const t0 = performance.now();
  try {
    await ROUTES[view](id);
    if (mine === rendering) {
      // for tests and benchmarks: when the view was ready, and how long it took (API + drawing)
      main().dataset.readyAt = Math.round(performance.now());
      main().dataset.renderMs = Math.round(performance.now() - t0);
      main().dataset.view = view;
    }
  } catch (e) {
    main().replaceChildren(section("Not available", h("p", { class: "error" }, String(e.message || e))));
  }
}

function live() {
  const es = new EventSource("/api/events");
  es.addEventListener("status", (ev) => {
    const s = JSON.parse(ev.data);
    const before = status && status.last_cycle ? status.last_cycle.id : null;
    renderHeader(s);
    const now = s.last_cycle ? s.last_cycle.id : null;
    const pinned = /\/\d+/.test(location.hash);
    if (before !== now && !pinned) route();
  });
  es.addEventListener("open", () => $("#live").classList.add("on"));
  es.addEventListener("error", () => $("#live").classList.remove("on"));
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  try { renderHeader(await api("/api/status")); } catch (e) { /* shown by the view */ }
  await route();
  live();
});
