// Clinician view: a summary-of-findings table for one comparison (intervention vs comparator, or
// an add-on design): per finding the outcome, time and population studied, the studies, the
// effect against the MID, the certainty with its downgrades and ceiling, and on demand the studies
// and their forest plot.
import { h, T, sub, sr } from './dom.js';
import { cap, fmt, num, plural, spaced, studies } from './format.js';
import { concept, designLabel, directionLabel, gradeDomainLabel, levelWord } from './labels.js';
import { withState, link } from './state.js';
import { forest } from './forest.js';
import { harmsTag, populationLine, reveal, timeText, uncountedText } from './finding.js';
import { howFound, ruleText } from './howfound.js';

// The comparison of a finding, as a table's title: "Yoga vs usual care", or for an add-on design
// "Yoga added to patient education vs patient education alone".
export function comparisonTitle(f) {
  const add = f.comparator.add_on;
  const i = cap(f.intervention.label);
  return add ? `${i} added to ${add.label} vs ${add.label} alone` : `${i} vs ${f.comparator.label}`;
}

// g: the findings of one comparison, one row pair (result, detail) each, in the Cochrane layout:
// outcome and follow-up, absolute effect in natural units, relative effect, participants
// (studies), certainty with footnoted reasons, and the source's own rating beside ours. idOf(key)
// is the id of a finding's row; part is 'more' for a table behind "Show N more findings"; all
// (every finding) finds the harms of the same treatment in another comparison.
export function sofTable(g, idOf, part, all = g) {
  const title = comparisonTitle(g[0]);
  const id = 'sof-' + idOf(g[0].key);
  const name = part === 'more' ? { 'aria-label': `${title}: more findings` } : { 'aria-labelledby': id };
  const notes = footnotes(g, id);
  const cols = ['Outcome (follow-up)', 'Absolute effect (95% CI)', 'Relative effect (95% CI)',
    'Participants (studies)', 'Certainty of the evidence (GRADE)', 'The source’s own rating'];
  const noTime = g.some((f) => !followUp(f));
  return h('section', { class: 'sof', ...name },
    h('h3', { id }, title),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'sof-table' },
        T('caption', 'sr-only', 'Summary of findings: ' + title),
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', text: c })))),
        h('tbody', {}, g.map((f) => findingRows(f, idOf(f.key), notes)), part !== 'more' && harmsRow(g, all, idOf)))),
    h('div', { class: 'sof-notes' },
      T('p', 'sub', 'Effects are oriented so that “better” favours the treatment. '
        + (noTime ? 'Rows without a follow-up: the sources do not report it.' : '')),
      notes.list.length && h('ol', { class: 'footnotes', 'aria-label': 'Footnotes: ' + title },
        notes.list.map((n) => h('li', { id: n.id, class: n.ceiling ? 'ceiling' : null },
          T('span', 'fn-mark', n.mark + '. '), n.text)))));
}

// The reasons behind the grades of a table, once each, lettered a, b, c...: { list, of(f) }.
function footnotes(g, tableId) {
  const list = [];
  const byText = new Map();
  const add = (text, ceiling) => {
    if (!byText.has(text)) {
      const mark = String.fromCharCode(97 + (list.length % 26)) + (list.length >= 26 ? String(Math.floor(list.length / 26)) : '');
      const n = { mark, id: `${tableId}-fn-${mark}`, text, ceiling };
      list.push(n);
      byText.set(text, n);
    }
    return byText.get(text);
  };
  const marks = new Map();
  for (const f of g) {
    const c = f.certainty;
    const ms = c.downgrades.map((d) => add(`${gradeDomainLabel(d.domain)} (−${d.levels}): ${d.reason}`));
    if (c.ceiling) ms.push(add(`Ceiling: at most ${levelWord(c.ceiling.level).toLowerCase()}. ${c.ceiling.reason}`, true));
    marks.set(f.key, [...new Set(ms)]);
  }
  return { list, of: (f) => marks.get(f.key) || [] };
}

// The follow-up of a finding: its own, else the times its results report; '' when none is given.
function followUp(f) {
  const own = timeText(f);
  if (own) return own;
  const times = [...new Set(f.results.map((r) => r.time_label
    || (r.follow_up_weeks ? `${num(r.follow_up_weeks)} weeks` : '')).filter(Boolean))];
  return times.join('; ');
}

function findingRows(f, id, notes) {
  const cls = ['main', f.thin && 'thin', f.harms && 'harms', f.indirect && 'indirect'].filter(Boolean).join(' ');
  const time = followUp(f);
  const main = h('tr', { class: cls, id },
    h('th', { scope: 'row', 'data-label': 'Outcome' }, cap(f.outcome.label), harmsTag(f),
      time && T('span', 'time', time), populationLine(f)),
    h('td', { 'data-label': 'Absolute effect' }, absoluteCell(f)),
    h('td', { 'data-label': 'Relative effect' }, relativeCell(f)),
    h('td', { 'data-label': 'Participants (studies)' }, countsCell(f)),
    h('td', { 'data-label': 'Certainty' }, certaintyCell(f, notes.of(f))),
    h('td', { 'data-label': 'Source’s rating' }, statedCell(f)));
  const detail = h('td', { colspan: '6' }, T('p', 'sentence', f.sentences.clinician));
  if (f.results.length) detail.append(studiesDetails(f));
  if (f.rules.length) detail.append(howFound(h('ul', {}, f.rules.map((r) => T('li', 0, ruleText(r))))));
  return [main, h('tr', { class: 'detail' }, detail)];
}

// Harms beside benefits: a row for adverse events in every table of a treatment; when this
// comparison has none, it says so and points to the treatment's harms in another comparison.
function harmsRow(g, all, idOf) {
  if (g.some((f) => f.harms)) return null;
  const f0 = g[0];
  const elsewhere = all.find((f) => f.harms && f.intervention.id === f0.intervention.id);
  return h('tr', { class: 'main harms none' },
    h('th', { scope: 'row', 'data-label': 'Outcome' }, 'Adverse events', harmsTag({ harms: true })),
    h('td', { colspan: '5', 'data-label': 'Harms' }, 'The knowledge base has no harms result for this comparison.',
      elsewhere && [' See ', h('a', {
        href: '#' + idOf(elsewhere.key), class: 'to-finding',
        onclick: (e) => { e.preventDefault(); reveal(idOf(elsewhere.key)); },
      },
        `adverse events, ${comparisonTitle(elsewhere)}`), '.']));
}

// Studies and participants counted for this comparison (Cochrane: "410 (2 RCTs)"), and what
// was not counted.
function countsCell(f) {
  const missing = uncountedText(f);
  const n = f.n_participants ? num(f.n_participants) : '';
  const k = f.n_studies ? studies(f.n_studies) : '';
  return [
    n && k ? `${n} (${k})` : n ? `${n} participants` : k || (!missing && '—'),
    missing && (f.n_studies ? sub(missing) : T('span', 'uncounted', missing)),
  ];
}

// "12 better" / "3 worse": an oriented difference (positive favours the treatment) in words.
const side = (v, d = 1, unit = '') => (v >= 0 ? `${fmt(v, d)}${unit} better` : `${fmt(-v, d)}${unit} worse`);
const range = (lo, hi, d = 1) => `${side(lo, d)} to ${side(hi, d)}`;

// The absolute effect in natural units where the server gives them (effect.natural) or the
// source's own instrument's points; otherwise a plain statement of why it cannot be computed.
function absoluteCell(f) {
  if (f.thin) return T('span', 'muted', 'No usable result reported');
  if (!f.effect) return voteCount(f);
  const e = f.effect;
  const out = [];
  const instrument = e.scale?.startsWith('raw') ? e.scale.split(':')[2] : '';
  if (e.natural) {
    const n = e.natural;
    out.push(h('span', { class: 'eff' }, T('strong', 0, side(n.value, 1, ' points')), ` (${range(n.ci_low, n.ci_high)})`),
      sub(`on a 0 to ${n.scale_max} ${f.outcome.id === 'pain' ? 'pain ' : ''}scale`));
  } else if (e.scale === '0-100') {
    out.push(h('span', { class: 'eff' }, T('strong', 0, side(e.value, 1, ' points')), ` (${range(e.ci_low, e.ci_high)})`),
      sub('on a 0 to 100 scale'));
  } else if (instrument) {
    const name = concept(instrument)?.preferred || spaced(instrument);
    out.push(h('span', { class: 'eff' }, T('strong', 0, side(e.value, 2, ' points')), ` (${range(e.ci_low, e.ci_high, 2)})`),
      sub(`on the ${name}, in the source’s units`));
  } else if (e.measure === 'SMD') {
    out.push(T('span', 'not-computed', 'Not computable in natural units: the source gives a standardised mean difference (see relative effect).'));
  } else if (e.scale === 'log') {
    out.push(T('span', 'not-computed', 'Not computable: the source gives no risk in the comparison group.'));
  } else {
    out.push(T('span', 'not-computed', `Not computable: the source gives a mean difference of ${fmt(e.value)} `
      + `(95% CI ${fmt(e.ci_low)} to ${fmt(e.ci_high)}) without naming its scale.`));
  }
  const th = e.threshold;
  const size = f.effect_size === 'unknown' ? ''
    : f.effect_size === 'none' ? 'No important effect'
      : `${cap(f.effect_size)} effect${e.value < 0 ? ' favouring the comparator' : ''}`;
  const verdict = th && `${th.label}: ${th.verdict}`;
  const words = [size, verdict].filter(Boolean).join('; ');
  if (words) out.push(sub(words));
  const src = effectSource(f);
  if (src) out.push(T('span', 'src', src));
  return out;
}

// Ratios and standardised differences: the relative effect column.
function relativeCell(f) {
  const e = f.effect;
  if (!e || f.thin) return T('span', 'muted', '—');
  if (e.scale === 'log') return T('strong', 0, e.text || e.measure);
  if (e.measure === 'SMD') return [T('strong', 0, `SMD ${fmt(e.value)}`), ` (${fmt(e.ci_low)} to ${fmt(e.ci_high)})`];
  return h('span', { class: 'muted' }, '—', sr(' (not applicable to a mean difference)'));
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

// Our certainty (symbols and word) with the letters of its footnotes (the reasons).
function certaintyCell(f, marks) {
  const c = f.certainty;
  return [
    h('span', { class: 'cert cert-' + c.level },
      h('span', { class: 'sym', 'aria-hidden': 'true', text: c.symbols }), ' ', levelWord(c.level)),
    marks.length && h('span', { class: 'fn-refs' }, sr(' reasons: footnotes '),
      marks.map((m, i) => [i ? ',' : ' ', h('a', { href: '#' + m.id, class: 'fn-ref', 'aria-label': 'footnote ' + m.mark }, m.mark)])),
    !c.downgrades.length && sub('No downgrades'),
  ];
}

// The certainty a source states for this comparison, beside ours (never converted), flagged
// when both are GRADE ratings and they differ.
function statedCell(f) {
  const st = f.stated_certainty;
  if (!st) return T('span', 'muted', 'Not rated by the source');
  const by = f.results.find((r) => r.record_id === st.source)?.label || st.source || 'the review';
  const system = st.system === 'GRADE' ? 'GRADE' : spaced(st.system || '');
  return [
    h('span', { class: 'stated' + (st.disagrees ? ' differs' : '') },
      `${levelWord(st.level)}${system ? ` (${system})` : ''}`,
      st.disagrees && T('strong', 'flag', ' ≠ differs from ours')),
    sub(`${by}${st.statement ? ': ' + st.statement : ''}`),
  ];
}

// What a finding rests on, by kind of record: "1 review (2 trials)", "3 trials", "1 review and
// 2 trials": records, not the trials a review pooled (those are in the participants column).
const REVIEWS = ['systematic_review', 'meta_analysis'];
const isTrialResult = (r) => !REVIEWS.includes(r.design) && r.design !== 'guideline';
export function sourcesText(f) {
  const ids = (pred) => new Set(f.results.filter(pred).map((r) => r.record_id)).size;
  const reviews = ids((r) => REVIEWS.includes(r.design));
  const guides = ids((r) => r.design === 'guideline');
  const trials = ids(isTrialResult);
  return [reviews && plural(reviews, 'review'), trials && plural(trials, 'primary study', 'primary studies'),
    guides && plural(guides, 'guideline')].filter(Boolean).join(', ');
}

// The finding's records and, when some are primary studies with an effect, their forest plot
// (never a review's pooled estimate as if it were one study), drawn when first opened (or
// before printing: drawNow).
function studiesDetails(f) {
  const perTrial = f.results.filter((r) => r.effect && isTrialResult(r)).length;
  const det = h('details', { class: 'studies' },
    T('summary', 0, `Sources: ${sourcesText(f)}${perTrial ? ' and forest plot' : ''}`));
  const draw = () => {
    if (det.dataset.drawn) return;
    det.dataset.drawn = '1';
    const fp = perTrial ? forest(f, det.clientWidth - 24, isTrialResult) : null;
    if (fp) {
      const other = fp.other ? ` · ${fp.other} result${fp.other > 1 ? 's' : ''} on another scale not drawn` : '';
      const legend = '■ used in the estimate · □ listed, not counted again · ◆ pooled estimate · dashed lines: MID';
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
