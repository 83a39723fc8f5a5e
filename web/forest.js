// The forest plot of a finding: each primary study's effect (oriented so that positive favours
// the treatment, as the server oriented it: results[].oriented) with its 95% CI, our pooled estimate as a diamond, the line of no effect, the MID
// and a labelled axis. Only per-trial results are drawn: a review's pooled estimate is never a row.
// On a narrow screen each study takes two lines (name and value above its CI) so nothing overlaps.
import { svg } from './dom.js';
import { fmt, studies } from './format.js';

// { plot: <svg>, other: results on another scale, not drawn } or null when there is nothing to draw.
// include(result) chooses the results that may be rows (primary studies).
export function forest(f, width, include = () => true) {
  const { drawn, other, key } = rowsOnOneScale(f, include);
  if (!drawn.length) return null;
  const fe = f.effect_source === 'pooled' && f.effect && key === keyOf(f.effect) ? f.effect : null;
  const mid = key === keyOf(f.effect) && f.effect.threshold ? { v: f.effect.threshold.value } : null;
  const g = geometry(width, drawn.length + (fe ? 1 : 0), valueRange(drawn, fe, mid));
  const measure = measureName(key);
  const id = 'ft-' + f.key.replace(/[^\w]/g, '_');
  const estimate = fe ? `; pooled estimate ${fmt(fe.value)} (95% CI ${fmt(fe.ci_low)} to ${fmt(fe.ci_high)})` : '';
  const plot = svg('svg', {
    class: g.narrow ? 'forest narrow' : 'forest', viewBox: `0 0 ${g.W} ${g.H}`, width: g.W, height: g.H,
    role: 'img', 'aria-labelledby': id,
  },
  svg('title', {
    id, text: `Forest plot of ${studies(drawn.length)}, ${measure}${estimate}. Positive values favour the treatment.`,
  }),
  svg('text', { x: 0, y: 14, class: 'hd', text: 'Study' }),
  !g.narrow && svg('text', { x: g.W, y: 14, class: 'hd end', text: 'Effect [95% CI]' }));
  if (mid) {
    for (const v of [-mid.v, mid.v]) {
      plot.append(svg('line', { x1: g.px(v), x2: g.px(v), y1: g.top, y2: g.axisY, class: 'midline' }));
    }
  }
  plot.append(svg('line', { x1: g.px(0), x2: g.px(0), y1: g.top - 4, y2: g.axisY, class: 'zero' }));
  drawn.forEach(({ r, o }, i) => row(plot, g, g.top + i * g.RH, r.label, o, r.used_in_estimate ? 'pt' : 'pt open'));
  if (fe) {
    row(plot, g, g.top + drawn.length * g.RH, 'Pooled (random effects)', { y: fe.value, lo: fe.ci_low, hi: fe.ci_high }, 'diamond');
  }
  axis(plot, g, measure);
  return { plot, other };
}

// Estimates on one axis share a measure and a scale (a raw scale names its outcome and instrument).
const keyOf = (e) => (e ? e.measure + '|' + e.scale : '');

function measureName(key) {
  const [m, scale] = key.split('|');
  if (scale === 'log') return `${m} (log scale)`;
  if (m === 'MD') return scale === '0-100' ? 'Mean difference, points on 0 to 100' : 'Mean difference, the studies’ units';
  if (m === 'RD') return 'Risk difference';
  if (m === 'SMD') return 'Standardised mean difference';
  return m;
}

// The primary-study results with an effect on the estimate's scale (or the most common one).
function rowsOnOneScale(f, include) {
  const rows = f.results.filter((r) => r.oriented && include(r)).map((r) => {
    const o = r.oriented;
    return { r, o: { y: o.value, lo: o.ci_low, hi: o.ci_high, key: keyOf(o) } };
  });
  let key = keyOf(f.effect);
  if (!rows.some((x) => x.o.key === key)) {
    const counts = {};
    for (const x of rows) counts[x.o.key] = (counts[x.o.key] || 0) + 1;
    key = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0] || '';
  }
  const drawn = rows.filter((x) => x.o.key === key);
  return { drawn, other: rows.length - drawn.length, key };
}

// [lo, hi] of the axis: every point and CI, the estimate, ±MID and zero, padded.
function valueRange(drawn, fe, mid) {
  const vs = [0];
  for (const { o } of drawn) vs.push(...[o.y, o.lo, o.hi].filter((v) => v != null));
  if (fe) vs.push(fe.ci_low, fe.ci_high);
  if (mid) vs.push(-mid.v, mid.v);
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const pad = (hi - lo) * 0.08 || 0.5;
  return [lo - pad, hi + pad];
}

// Sizes of a plot of n rows: width W, height H, label and value columns (LW, VW), row height RH,
// the axis at axisY, and px(value) -> x. Narrow: names and values on a line above each CI.
function geometry(width, n, [lo, hi]) {
  const W = Math.max(300, Math.min(720, width || 640));
  const narrow = W < 480;
  const LW = narrow ? 6 : 160, VW = narrow ? 6 : 150, RH = narrow ? 34 : 22, top = 22;
  const px = (v) => LW + ((v - lo) / (hi - lo)) * (W - LW - VW - (narrow ? 0 : 10));
  const axisY = top + n * RH + 4;
  return { W, H: axisY + 58, narrow, LW, VW, RH, top, axisY, lo, hi, px };
}

const ciText = (y, a, b) => (a == null ? fmt(y) : `${fmt(y)} [${fmt(a)}, ${fmt(b)}]`);

// One row from y0 (top of the row): a study (a square) or the pooled estimate (a diamond).
function row(plot, g, y0, label, o, cls) {
  const max = g.narrow ? 22 : 24;
  const name = label.length > max ? label.slice(0, max - 1) + '…' : label;
  const hd = cls === 'diamond' ? 'hd' : null;
  const cy = g.narrow ? y0 + 24 : y0 + g.RH / 2;
  if (g.narrow) {
    plot.append(svg('text', { x: 0, y: y0 + 12, class: hd, text: name }));
    plot.append(svg('text', { x: g.W, y: y0 + 12, class: 'end' + (hd ? ' hd' : ''), text: ciText(o.y, o.lo, o.hi) }));
  } else {
    plot.append(svg('text', { x: 0, y: cy + 4, class: hd, text: name }));
    plot.append(svg('text', { x: g.W, y: cy + 4, class: 'end' + (hd ? ' hd' : ''), text: ciText(o.y, o.lo, o.hi) }));
  }
  if (cls === 'diamond') {
    const [a, y, b] = [g.px(o.lo), g.px(o.y), g.px(o.hi)];
    plot.append(svg('polygon', { class: 'diamond', points: `${a},${cy} ${y},${cy - 6} ${b},${cy} ${y},${cy + 6}` }));
    return;
  }
  if (o.lo != null) plot.append(svg('line', { x1: g.px(o.lo), x2: g.px(o.hi), y1: cy, y2: cy, class: 'ci' }));
  plot.append(svg('rect', { x: g.px(o.y) - 4, y: cy - 4, width: 8, height: 8, class: cls }));
}

// The axis: ticks that do not collide (fewer on a phone), its name, and which side favours what.
function axis(plot, g, measure) {
  const { px, axisY } = g;
  const x0 = px(g.lo), x1 = px(g.hi);
  plot.append(svg('line', { x1: x0, x2: x1, y1: axisY, y2: axisY, class: 'axis' }));
  for (const t of niceTicks(g.lo, g.hi, g.narrow ? 4 : 6)) {
    plot.append(svg('line', { x1: px(t), x2: px(t), y1: axisY, y2: axisY + 4, class: 'axis' }));
    plot.append(svg('text', { x: px(t), y: axisY + 15, class: 'mid', text: fmt(t) }));
  }
  plot.append(svg('text', { x: (x0 + x1) / 2, y: axisY + 32, class: 'mid axis-title', text: measure }));
  const [left, right] = ['← favours comparator', 'favours treatment →'];
  plot.append(svg('text', { x: x0, y: axisY + 49, class: 'small', text: left }));
  plot.append(svg('text', { x: x1, y: axisY + 49, class: 'small end', text: right }));
}

// Round tick values from a to b, at most n - 1 steps.
function niceTicks(a, b, n) {
  const span = b - a || 1;
  const step0 = 10 ** Math.floor(Math.log10(span / (n - 1)));
  const step = [1, 2, 2.5, 5, 10, 20].map((m) => m * step0).find((s) => span / s <= n - 1);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}
