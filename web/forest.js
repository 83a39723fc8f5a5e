// The forest plot of a finding: each study's effect (oriented so that positive favours the
// treatment) with its 95% CI, the estimate as a diamond, the line of no effect and the MID.
import { svg } from './dom.js';
import { fmt, studies } from './format.js';
import { midOf, orient } from './effects.js';

// { plot: <svg>, other: results on another scale, not drawn } or null when there is nothing to draw.
export function forest(f, width) {
  const fe = f.effect;
  const { drawn, other, key } = rowsOnOneScale(f);
  if (!drawn.length && !fe) return null;
  const mid = midOf(f);
  const g = geometry(width, drawn.length + (fe ? 1 : 0), valueRange(drawn, fe, mid));
  const measure = key.split('|')[0] + (key.endsWith('0-100') ? ' /100' : key.endsWith('log') ? ' (log, oriented)' : '');
  const id = 'ft-' + f.key.replace(/[^\w]/g, '_');
  const estimate = fe ? `; estimate ${fmt(fe.value)} (95% CI ${fmt(fe.ci_low)} to ${fmt(fe.ci_high)})` : '';
  const plot = svg('svg', {
    class: g.narrow ? 'forest narrow' : 'forest', viewBox: `0 0 ${g.W} ${g.H}`, width: g.W, height: g.H,
    role: 'img', 'aria-labelledby': id,
  },
  svg('title', {
    id, text: `Forest plot of ${studies(drawn.length)}, ${measure}${estimate}. Positive values favour the treatment.`,
  }),
  svg('text', { x: 0, y: 14, class: 'hd', text: 'Study' }),
  svg('text', { x: g.W, y: 14, class: 'hd end', text: measure + ' [95% CI]' }));
  if (mid) {
    for (const v of [-mid.v, mid.v]) {
      plot.append(svg('line', { x1: g.px(v), x2: g.px(v), y1: g.top, y2: g.axisY, class: 'midline' }));
    }
  }
  plot.append(svg('line', { x1: g.px(0), x2: g.px(0), y1: g.top - 4, y2: g.axisY, class: 'zero' }));
  drawn.forEach(({ r, o }, i) => studyRow(plot, g, g.top + i * g.RH + g.RH / 2, r, o));
  if (fe) estimateRow(plot, g, g.top + drawn.length * g.RH + g.RH / 2, f);
  axis(plot, g);
  return { plot, other };
}

// The results with an effect on the estimate's scale (or, without an estimate, the most common one).
function rowsOnOneScale(f) {
  const rows = f.results.map((r) => ({ r, o: orient(r.effect, r.direction) })).filter((x) => x.o);
  const keyOf = (e) => (e ? e.measure + '|' + (String(e.scale).startsWith('raw') ? 'raw' : e.scale) : '');
  let key = keyOf(f.effect);
  if (!key) {
    const counts = {};
    for (const x of rows) counts[x.o.key] = (counts[x.o.key] || 0) + 1;
    key = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0];
  }
  const drawn = rows.filter((x) => x.o.key === key);
  return { drawn, other: rows.length - drawn.length, key };
}

// [lo, hi] of the axis: every point and CI, the estimate, ±MID and zero, padded.
function valueRange(drawn, fe, mid) {
  let lo = 0, hi = 0;
  for (const { o } of drawn) {
    for (const v of [o.y, o.lo, o.hi]) {
      if (v != null) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (fe) {
    lo = Math.min(lo, fe.ci_low);
    hi = Math.max(hi, fe.ci_high);
  }
  if (mid) {
    lo = Math.min(lo, -mid.v);
    hi = Math.max(hi, mid.v);
  }
  const pad = (hi - lo) * 0.08 || 0.5;
  return [lo - pad, hi + pad];
}

// Sizes of a plot of n rows: width W, height H, label and value columns (LW, VW), row height RH,
// the axis at axisY, and px(value) -> x.
function geometry(width, n, [lo, hi]) {
  const W = Math.max(320, Math.min(720, width || 640));
  const narrow = W < 480;
  const LW = narrow ? 84 : 150, VW = narrow ? 124 : 150, RH = 22, top = 22;
  const px = (v) => LW + ((v - lo) / (hi - lo)) * (W - LW - VW - 10);
  return { W, H: top + n * RH + 44, narrow, LW, VW, RH, top, axisY: top + n * RH + 4, lo, hi, px };
}

const ciText = (y, a, b) => (a == null ? fmt(y) : `${fmt(y)} [${fmt(a)}, ${fmt(b)}]`);

function studyRow(plot, g, cy, r, o) {
  const max = g.narrow ? 13 : 22;
  const name = r.label.length > max ? r.label.slice(0, max - 1) + '…' : r.label;
  plot.append(svg('text', { x: 0, y: cy + 4, text: name }));
  if (o.lo != null) plot.append(svg('line', { x1: g.px(o.lo), x2: g.px(o.hi), y1: cy, y2: cy, class: 'ci' }));
  const cls = r.used_in_estimate ? 'pt' : 'pt open';
  plot.append(svg('rect', { x: g.px(o.y) - 4, y: cy - 4, width: 8, height: 8, class: cls }));
  plot.append(svg('text', { x: g.W, y: cy + 4, class: 'end', text: ciText(o.y, o.lo, o.hi) }));
}

function estimateRow(plot, g, cy, f) {
  const fe = f.effect;
  const pooled = f.effect_source === 'pooled';
  const name = pooled ? (g.narrow ? 'Pooled' : 'Pooled (RE)') : g.narrow ? 'Estimate' : 'Estimate used';
  const [a, y, b] = [g.px(fe.ci_low), g.px(fe.value), g.px(fe.ci_high)];
  plot.append(svg('text', { x: 0, y: cy + 4, class: 'hd', text: name }));
  plot.append(svg('polygon', { class: 'diamond', points: `${a},${cy} ${y},${cy - 6} ${b},${cy} ${y},${cy + 6}` }));
  plot.append(svg('text', { x: g.W, y: cy + 4, class: 'end hd', text: ciText(fe.value, fe.ci_low, fe.ci_high) }));
}

function axis(plot, g) {
  const { px, axisY } = g;
  plot.append(svg('line', { x1: g.LW, x2: g.W - g.VW - 10, y1: axisY, y2: axisY, class: 'axis' }));
  for (const t of niceTicks(g.lo, g.hi)) {
    plot.append(svg('line', { x1: px(t), x2: px(t), y1: axisY, y2: axisY + 4, class: 'axis' }));
    plot.append(svg('text', { x: px(t), y: axisY + 15, class: 'mid', text: fmt(t) }));
  }
  const [left, right] = g.narrow ? ['← comparator', 'treatment →'] : ['← favours comparator', 'favours treatment →'];
  plot.append(svg('text', { x: px(0) - 6, y: axisY + 32, class: 'end small', text: left }));
  plot.append(svg('text', { x: px(0) + 6, y: axisY + 32, class: 'small', text: right }));
}

// Round tick values from a to b, at most 5 steps.
function niceTicks(a, b) {
  const span = b - a || 1;
  const step0 = 10 ** Math.floor(Math.log10(span / 4));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * step0).find((s) => span / s <= 5);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}
