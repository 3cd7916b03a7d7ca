// plantloop console charts: time-series line, stacked-area and strip charts drawn as inline
// SVG. No dependencies (the page must work on a plant network without internet).

const NS = "http://www.w3.org/2000/svg";

export const PALETTE = [
  "#4e9af1", "#f2a541", "#59c27a", "#d0605e", "#a77bd6", "#3fc1c9",
  "#e377c2", "#c4b25c", "#8c9aa8", "#f07c3c", "#7ec8e3", "#b5d96c",
];

function svg(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function html(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function niceTicks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const span = hi - lo;
  const raw = span / Math.max(1, n);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

export function fmtNum(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1e5) return v.toExponential(2);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(a >= 1 ? 2 : 3);
}

function fmtTime(ms, span) {
  const d = new Date(ms);
  const hm = d.toISOString().slice(11, span < 3 * 3600e3 ? 19 : 16);
  return span > 2 * 86400e3 ? d.toISOString().slice(5, 10) + " " + hm : hm;
}

// opts: {times: [ms], series: [{name, values, color, stack, axis: "left"|"right", dash,
//        step}], height, yLabel, y2Label, hlines: [{y, label, color, dash}], onPick(i)}
export function timeChart(container, opts) {
  container.textContent = "";
  const wrap = html("div", { class: "chart" }, container);
  const times = opts.times;
  const n = times.length;
  const W = Math.max(320, container.clientWidth || 800);
  const H = opts.height || 220;
  const hasRight = opts.series.some((s) => s.axis === "right");
  const m = { l: 56, r: hasRight ? 56 : 14, t: 10, b: 24 };
  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" }, wrap);
  if (opts.title) svg("title", {}, root).textContent = opts.title;
  if (n === 0) {
    svg("text", { x: W / 2, y: H / 2, class: "empty", "text-anchor": "middle" }, root).textContent = "no data";
    return root;
  }
  // stacking (positive and negative parts stack separately), then ranges per axis
  const posBase = new Array(n).fill(0), negBase = new Array(n).fill(0);
  const drawn = opts.series.map((s, k) => {
    const color = s.color || PALETTE[k % PALETTE.length];
    const v = s.values.map((x) => (x === null || x === undefined ? NaN : +x));
    if (!s.stack) return { ...s, color, lo: null, hi: v };
    const lo = [], hi = [];
    for (let i = 0; i < n; i++) {
      const x = Number.isNaN(v[i]) ? 0 : v[i];
      const base = x >= 0 ? posBase : negBase;
      lo.push(base[i]); hi.push(base[i] + x); base[i] += x;
    }
    return { ...s, color, lo, hi };
  });
  const range = (axis) => {
    let lo = Infinity, hi = -Infinity;
    for (const s of drawn) {
      if ((s.axis || "left") !== axis) continue;
      for (const arr of [s.hi, s.lo]) if (arr) for (const x of arr) if (!Number.isNaN(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    }
    if (axis === "left") for (const h of opts.hlines || []) if (h.y !== null && h.y !== undefined) { lo = Math.min(lo, h.y); hi = Math.max(hi, h.y); }
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (opts.zero !== false && axis === "left") { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - (lo === 0 ? 0 : pad), hi + pad];
  };
  const t0 = times[0], t1 = n > 1 ? times[n - 1] : times[0] + 1;
  const X = (t) => m.l + ((t - t0) / (t1 - t0 || 1)) * (W - m.l - m.r);
  const axis = (lohi) => {
    const ticks = niceTicks(lohi[0], lohi[1], 5);
    const lo = Math.min(lohi[0], ticks[0]), hi = Math.max(lohi[1], ticks[ticks.length - 1]);
    return { ticks, Y: (v) => H - m.b - ((v - lo) / (hi - lo || 1)) * (H - m.t - m.b) };
  };
  const L = axis(range("left"));
  const R = hasRight ? axis(range("right")) : null;
  const g = svg("g", { class: "axes" }, root);
  for (const v of L.ticks) {
    const y = L.Y(v);
    svg("line", { x1: m.l, x2: W - m.r, y1: y, y2: y, class: v === 0 ? "zero" : "grid" }, g);
    svg("text", { x: m.l - 6, y: y + 4, "text-anchor": "end" }, g).textContent = fmtNum(v);
  }
  if (R) for (const v of R.ticks) {
    svg("text", { x: W - m.r + 6, y: R.Y(v) + 4, "text-anchor": "start" }, g).textContent = fmtNum(v);
  }
  const span = t1 - t0;
  const xt = Math.min(n, Math.max(2, Math.floor((W - m.l - m.r) / 90)));
  for (let k = 0; k < xt; k++) {
    const t = t0 + (span * k) / (xt - 1 || 1);
    svg("text", { x: X(t), y: H - 6, "text-anchor": "middle" }, g).textContent = fmtTime(t, span);
  }
  if (opts.yLabel) svg("text", { x: 4, y: m.t + 8, class: "unit" }, g).textContent = opts.yLabel;
  if (opts.y2Label && R) svg("text", { x: W - 4, y: m.t + 8, class: "unit", "text-anchor": "end" }, g).textContent = opts.y2Label;

  const path = (xs, ys, Y) => {
    let d = "", pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (Number.isNaN(ys[i])) { pen = false; continue; }
      d += (pen ? "L" : "M") + X(xs[i]).toFixed(1) + "," + Y(ys[i]).toFixed(1);
      pen = true;
    }
    return d;
  };
  for (const s of drawn) {
    const Y = s.axis === "right" ? R.Y : L.Y;
    const cls = "series" + (s.stack ? " stacked" : "");
    const grp = svg("g", { class: cls, "data-series": s.name }, root);
    if (s.stack) {
      let d = path(times, s.hi, Y);
      for (let i = n - 1; i >= 0; i--) d += "L" + X(times[i]).toFixed(1) + "," + Y(s.lo[i]).toFixed(1);
      svg("path", { d: d + "Z", fill: s.color, "fill-opacity": 0.75, stroke: s.color, "stroke-width": 1 }, grp);
    } else {
      svg("path", { d: path(times, s.hi, Y), fill: "none", stroke: s.color, "stroke-width": s.width || 2, "stroke-dasharray": s.dash || "" }, grp);
    }
  }
  for (const h of opts.hlines || []) {
    if (h.y === null || h.y === undefined) continue;
    const y = L.Y(h.y);
    svg("line", { x1: m.l, x2: W - m.r, y1: y, y2: y, stroke: h.color || "#ff7b72", "stroke-dasharray": h.dash || "6 4", class: "hline" }, root);
    svg("text", { x: W - m.r - 4, y: y - 4, "text-anchor": "end", class: "hlabel", fill: h.color || "#ff7b72" }, root).textContent = h.label || "";
  }
  // hover: nearest point, values of every series
  const cursor = svg("line", { y1: m.t, y2: H - m.b, class: "cursor", visibility: "hidden" }, root);
  const tip = html("div", { class: "tip", hidden: "" }, wrap);
  const hit = svg("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "transparent" }, root);
  const nearest = (ev) => {
    const r = root.getBoundingClientRect();
    const t = t0 + ((ev.clientX - r.left - m.l) / (W - m.l - m.r)) * (t1 - t0);
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
    return best;
  };
  hit.addEventListener("mousemove", (ev) => {
    const i = nearest(ev);
    cursor.setAttribute("x1", X(times[i])); cursor.setAttribute("x2", X(times[i]));
    cursor.setAttribute("visibility", "visible");
    tip.hidden = false;
    tip.textContent = "";
    html("div", { class: "tt" }, tip, new Date(times[i]).toISOString().replace("T", " ").slice(0, 16) + " UTC");
    for (const s of drawn) {
      const v = s.values[i];
      const row = html("div", {}, tip);
      html("span", { class: "sw", style: `background:${s.color}` }, row);
      row.appendChild(document.createTextNode(`${s.name} ${fmtNum(v === null ? NaN : +v)}`));
    }
    const x = X(times[i]);
    tip.style.left = (x > W / 2 ? x - tip.offsetWidth - 12 : x + 12) + "px";
  });
  hit.addEventListener("mouseleave", () => { cursor.setAttribute("visibility", "hidden"); tip.hidden = true; });
  if (opts.onPick) hit.addEventListener("click", (ev) => opts.onPick(nearest(ev)));
  const legend = html("div", { class: "legend" }, wrap);
  for (const s of drawn) {
    const item = html("span", { class: "item", "data-series": s.name }, legend);
    html("span", { class: "sw" + (s.dash ? " dashed" : ""), style: `background:${s.color}` }, item);
    item.appendChild(document.createTextNode(s.name + (s.axis === "right" ? " (right axis)" : "")));
  }
  return root;
}

// cycles: [{id, outcome, started}], colors: outcome -> color; one cell per cycle
export function outcomeStrip(container, cycles, colors, onPick) {
  container.textContent = "";
  const W = Math.max(320, container.clientWidth || 800), H = 28;
  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "strip" }, container);
  const n = cycles.length;
  if (!n) return root;
  const w = W / n;
  for (let i = 0; i < n; i++) {
    const c = cycles[i];
    const r = svg("rect", {
      x: (i * w).toFixed(2), y: 0, width: Math.max(w - (w > 3 ? 1 : 0), 0.5).toFixed(2), height: H,
      fill: colors[c.outcome] || "#888", "data-id": c.id, "data-outcome": c.outcome,
    }, root);
    svg("title", {}, r).textContent = `#${c.cycle} ${c.started.slice(0, 19).replace("T", " ")} ${c.outcome}`;
    if (onPick) r.addEventListener("click", () => onPick(c));
  }
  return root;
}
