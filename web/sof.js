// Clinician view: a summary-of-findings table for one comparison (intervention vs comparator, or
// an add-on design): per finding the outcome, time and population studied, the studies, the
// effect against the MID, the certainty with its downgrades and ceiling, and on demand the studies
// and their forest plot.
import { h, svg, T, sub } from './dom.js';
import { cap, fmt, num, plural, spaced, studies } from './format.js';
import { designLabel, directionLabel, gradeDomainLabel, levelWord } from './labels.js';
import { withState, link } from './state.js';
import { midOf, midVerdict } from './effects.js';
import { forest } from './forest.js';
import { harmsTag, populationLine, timeText, uncountedText } from './finding.js';
import { howFound, ruleText } from './howfound.js';

// The comparison of a finding, as a table's title: "Yoga vs usual care", or for an add-on design
// "Yoga added to patient education vs patient education alone".
export function comparisonTitle(f) {
  const add = f.comparator.add_on;
  const i = cap(f.intervention.label);
  return add ? `${i} added to ${add.label} vs ${add.label} alone` : `${i} vs ${f.comparator.label}`;
}

// g: the findings of one comparison, one row pair (result, detail) each; idOf(key) is the id of a
// finding's row; part is 'more' for a table behind "Show N more findings" (its region is named
// apart from the headline table of the same comparison).
export function sofTable(g, idOf, part) {
  const title = comparisonTitle(g[0]);
  const id = 'sof-' + idOf(g[0].key);
  const name = part === 'more' ? { 'aria-label': `${title}: more findings` } : { 'aria-labelledby': id };
  return h('section', { class: 'sof', ...name },
    h('h3', { id }, title),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'sof-table' },
        T('caption', 'sr-only', 'Summary of findings: ' + title),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Outcome, time and population' }),
          h('th', { scope: 'col', text: 'Studies (participants)' }),
          h('th', { scope: 'col' }, 'Effect (95% CI) vs MID',
            T('span', 'th-note', 'positive favours the treatment; bar: 95% CI, shaded: within the MID')),
          h('th', { scope: 'col', text: 'Certainty (GRADE)' }))),
        h('tbody', {}, g.map((f) => findingRows(f, idOf(f.key)))))));
}

function findingRows(f, id) {
  const cls = ['main', f.thin && 'thin', f.harms && 'harms', f.indirect && 'indirect'].filter(Boolean).join(' ');
  const main = h('tr', { class: cls, id },
    h('th', { scope: 'row', 'data-label': 'Outcome' }, cap(f.outcome.label), harmsTag(f),
      T('span', 'time', timeText(f) || 'time point not stated'), populationLine(f)),
    h('td', { 'data-label': 'Studies' }, countsCell(f)),
    h('td', { 'data-label': 'Effect' }, effectCell(f)),
    h('td', { 'data-label': 'Certainty' }, certaintyCell(f)));
  const detail = h('td', { colspan: '4' }, T('p', 'sentence', f.sentences.clinician));
  if (f.results.length) detail.append(studiesDetails(f));
  return [main, h('tr', { class: 'detail' }, detail)];
}

// Studies and participants counted for this comparison, and what was not counted.
function countsCell(f) {
  const missing = uncountedText(f);
  return [
    f.n_studies ? studies(f.n_studies) : !missing && '—',
    f.n_participants ? sub(`${num(f.n_participants)} participants`) : null,
    missing && (f.n_studies ? sub(missing) : T('span', 'uncounted', missing)),
  ];
}

function effectCell(f) {
  if (f.thin) return T('span', 'muted', 'No usable result reported');
  const out = f.effect ? estimate(f) : voteCount(f);
  const src = effectSource(f);
  if (src) out.push(T('span', 'src', src));
  return out;
}

// The estimate, a bar of its CI against the MID, and its size in words.
function estimate(f) {
  const e = f.effect;
  const [main, ci] = effectLabel(e);
  const mid = midOf(f);
  const size = f.effect_size === 'unknown' ? ''
    : f.effect_size === 'none' ? 'No important effect'
      : `${cap(f.effect_size)} effect${e.value < 0 ? ' favouring the comparator' : ''}`;
  const verdict = mid && `${mid.text}: ${midVerdict(e.value, e.ci_low, e.ci_high, mid.v)}`;
  return [h('span', { class: 'eff' }, T('strong', 0, main), ' ', ci), e.plain && sub(`About ${e.plain}`),
    midBar(e, mid), sub([size, verdict].filter(Boolean).join('; '))];
}

// [main, ci] texts of an oriented effect.
function effectLabel(e) {
  if (e.scale === 'log') return [e.text || e.measure, ''];
  const unit = e.scale === '0-100' ? ' /100' : e.scale?.startsWith('raw') ? ' (raw units)' : '';
  const value = fmt(e.value, e.scale === '0-100' ? 1 : 2);
  return [`${e.measure} ${value}${unit}`, `(${fmt(e.ci_low)} to ${fmt(e.ci_high)})`];
}

// Without an estimate: the direction and how many studies point each way.
function voteCount(f) {
  const votes = {};
  for (const r of f.results) votes[r.direction] = (votes[r.direction] || 0) + 1;
  const others = Object.entries(votes).filter(([k]) => k !== f.direction).map(([k, n]) => `${n} ${directionLabel(k)}`);
  const n = votes[f.direction];
  const tally = n ? ` (${n} of ${plural(f.results.length, 'result')}${others.length ? '; ' + others.join(', ') : ''})` : '';
  return [T('strong', 0, 'No effect estimate'), sub(`Direction: ${directionLabel(f.direction)}${tally}`)];
}

function effectSource(f) {
  const used = f.results.find((r) => r.used_in_estimate)?.label || '';
  const ma = f.meta_analysis;
  return {
    review: `From review: ${used}`,
    pooled: ma ? `Pooled here: ${ma.k} studies, I² ${fmt(ma.i2, 0)}%` : 'Pooled here',
    single: `Single study: ${used}`,
    vote_count: 'Vote count of directions',
  }[f.effect_source];
}

// A small bar: the CI against the zone of unimportant effects (±MID) and the line of no effect.
function midBar(e, mid) {
  const lim = Math.max(Math.abs(e.ci_low), Math.abs(e.ci_high), mid ? mid.v * 1.5 : 0) * 1.1 || 1;
  const x = (v) => 80 + (v / lim) * 76;
  const props = {
    class: 'midbar', viewBox: '0 0 160 16', width: '160', height: '16', 'aria-hidden': 'true', focusable: 'false',
  };
  return svg('svg', props,
    mid && svg('rect', { x: x(-mid.v), y: 1, width: x(mid.v) - x(-mid.v), height: 14, class: 'mid-zone' }),
    svg('line', { x1: 2, x2: 158, y1: 15.5, y2: 15.5, class: 'base' }),
    svg('line', { x1: 80, x2: 80, y1: 0, y2: 16, class: 'zero' }),
    svg('line', { x1: x(e.ci_low), x2: x(e.ci_high), y1: 8, y2: 8, class: 'ci' }),
    svg('rect', { x: x(e.value) - 3, y: 5, width: 6, height: 6, class: 'pt' }));
}

// Our certainty (symbols and word), the certainty a review stated, and why we graded as we did.
function certaintyCell(f) {
  const c = f.certainty;
  const st = f.stated_certainty;
  return [
    h('span', { class: 'cert cert-' + c.level },
      h('span', { class: 'sym', 'aria-hidden': 'true', text: c.symbols }), ' ', levelWord(c.level)),
    st && h('span', { class: 'stated' + (st.disagrees ? ' differs' : '') },
      `${st.system === 'GRADE' ? 'Review’s GRADE' : 'Review states'}: ${levelWord(st.level)}`,
      st.disagrees && T('strong', 'flag', ' ≠ differs from ours')),
    whyGraded(f),
  ];
}

function whyGraded(f) {
  const c = f.certainty;
  const n = c.downgrades.length;
  const title = n ? `Why ${levelWord(c.level).toLowerCase()}? (${n} downgrade${n > 1 ? 's' : ''})` : 'How graded';
  const reasons = n
    ? c.downgrades.map((d) => h('li', {}, T('strong', 0, `${gradeDomainLabel(d.domain)} (−${d.levels}): `), d.reason))
    : T('li', 0, 'No downgrades.');
  const det = h('details', { class: 'why' }, T('summary', 0, title), h('ul', {}, reasons), ceiling(c.ceiling));
  const st = f.stated_certainty;
  if (st?.statement) {
    const by = f.results.find((r) => r.record_id === st.source)?.label || st.source || 'the review';
    const system = st.system ? ` (${spaced(st.system)})` : '';
    det.append(h('p', { class: 'sub' }, `Stated by ${by}${system}: `, st.statement));
  }
  if (f.rules.length) det.append(howFound(h('ul', {}, f.rules.map((r) => T('li', 0, ruleText(r))))));
  return det;
}

// The most the sources behind the estimate allow, and why (never above the source).
function ceiling(c) {
  if (!c) return null;
  return h('p', { class: 'ceiling' }, T('strong', 0, `Ceiling: at most ${levelWord(c.level).toLowerCase()}. `), c.reason);
}

// The finding's studies and forest plot, drawn when first opened (or before printing: drawNow).
function studiesDetails(f) {
  const withEffect = f.results.filter((r) => r.effect).length;
  const det = h('details', { class: 'studies' },
    T('summary', 0, `Studies (${f.results.length})${withEffect ? ' and forest plot' : ''}`));
  const draw = () => {
    if (det.dataset.drawn) return;
    det.dataset.drawn = '1';
    const fp = withEffect || f.effect ? forest(f, det.clientWidth - 24) : null;
    if (fp) {
      const other = fp.other ? ` · ${fp.other} result${fp.other > 1 ? 's' : ''} on another scale not drawn` : '';
      const legend = '■ used in the estimate · □ listed, not counted again · ◆ estimate · dashed lines: MID';
      det.append(h('div', { class: 'forest-wrap' }, fp.plot), h('p', { class: 'legend' }, legend, other));
    }
    det.append(h('ul', { class: 'study-results' }, f.results.map((r) => studyResult(r, f))));
  };
  det.addEventListener('toggle', () => det.open && draw());
  det.drawNow = draw;
  return det;
}

function studyResult(r, f) {
  const sc = r.stated_certainty;
  const pop = r.population?.label;
  const time = r.time_label || (r.follow_up_weeks ? `at ${num(r.follow_up_weeks)} weeks` : '');
  const analysis = r.analysis && r.analysis !== 'randomised' ? spaced(r.analysis) + ' analysis' : '';
  return h('li', {},
    link(withState({ study: r.record_id }), { 'data-key': 'study-link:' + r.record_id, text: r.label }),
    ` · ${designLabel(r.design)} · ${directionLabel(r.direction)}`,
    r.participants ? ` · ${num(r.participants)} participants` : '',
    time ? ` · ${time}` : '',
    pop && pop !== f.population?.label ? ` · ${r.indirect ? 'indirect: ' : ''}${pop}` : '',
    r.used_in_estimate ? T('span', 'tag', 'used in estimate') : null,
    r.counted === false ? T('span', 'tag', 'listed, not counted again') : null,
    r.reversed ? T('span', 'tag', 'reported the other way round, turned') : null,
    analysis && T('span', 'tag', analysis),
    sc ? T('span', 'tag', `${sc.system}: ${spaced(sc.level)}`) : null,
    r.result_text && sub(r.result_text));
}
