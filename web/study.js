// The study view (?study=ID): one record in full, with where each annotation came from.
import { safeUrl } from './safe.js';
import { $, h, T, sub, sr, clear } from './dom.js';
import { cap, fmt, num, plural, spaced, studies } from './format.js';
import { TIME, designLabel, directionLabel, levelWord, originLabel, label } from './labels.js';
import { fetchLatest, isStale } from './api.js';
import { withState, link, rerender } from './state.js';
import { showError } from './notices.js';
import { qualityBadge } from './results.js';

const LINKS_OUT = [
  ['pubmed', 'PubMed'],
  ['doi', 'DOI'],
  ['clinicaltrials_gov', 'ClinicalTrials.gov'],
  ['pmc', 'PubMed Central'],
];

// Loads and shows the study of state s, unless a newer render (token) has started meanwhile.
export async function renderStudy(s, token) {
  const box = $('study');
  box.hidden = false;
  $('status').textContent = 'Loading the study…';
  let st;
  try {
    st = await fetchLatest('/api/studies/' + encodeURIComponent(s.study));
  } catch (e) {
    if (e.name === 'AbortError' || isStale(token)) return;
    clear(box, backLink(), h('h2', { id: 'study-title', tabindex: '-1', text: 'Study not available' }));
    showError(e.message, () => rerender());
    $('status').textContent = 'The study could not be loaded.';
    return;
  }
  if (isStale(token)) return;
  clear(box, backLink(), studyBody(st, s.view));
  $('status').textContent = `Study: ${st.title || st.id}`;
  $('study-title').focus();
}

// Back to the results: the browser's back when the study was opened from them (keeps their state).
function backLink() {
  const a = link(withState({ study: '' }), { class: 'back', text: '← Back to results' });
  a.addEventListener('click', (e) => {
    if (history.state?.fromResults && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      history.back();
    }
  });
  return a;
}

function studyBody(st, view) {
  const patient = view === 'patient';
  const lab = st.concept_labels || {};
  const cl = (id) => (lab[id] ? (patient ? lab[id].plain : lab[id].preferred) : label(id, view));
  const origins = st.annotation?.origins || {};
  const from = (field) => origins[field] && origin(origins[field], 'Where this annotation came from');
  const b = st.brief || {};
  const sum = st.summary || {};
  const summaries = patient
    ? [['In plain language', sum.plain], ['For clinicians', sum.clinician]]
    : [['Summary', sum.clinician], ['In plain language', sum.plain]];
  const etAl = st.authors_complete === false ? ' et al.' : '';
  return h('article', { class: 'study-body' },
    h('h2', { id: 'study-title', tabindex: '-1', text: st.title || st.id }),
    h('p', { class: 'hit-meta' }, st.authors?.length && T('span', 0, st.authors.join(', ') + etAl),
      T('span', 0, st.citation || [st.journal, st.year].filter(Boolean).join(' ')),
      T('span', 'muted', 'Record ' + st.id)),
    st.retracted && T('p', 'notice error', 'This publication has been retracted. Do not rely on its results.'),
    st.draft && T('p', 'notice', 'Draft for curators: read automatically and not yet confirmed. '
      + 'Its results are not used in graded summaries.'),
    h('p', { class: 'badges' },
      T('span', 'badge design', studyDesign(st)),
      st.annotation?.evidence_level && T('span', 'badge', `Evidence level ${st.annotation.evidence_level}`),
      qualityBadge(b.quality || {})),
    linksOut(st),
    summaries.filter(([, t]) => t).map(([t, x]) => [T('h3', 0, t), T('p', 'lead', x)]),
    T('h3', 0, 'What was studied'),
    studiedFacts(st, b, cl, from),
    h('h3', {}, 'Results by outcome ', from('outcomes')),
    outcomesTable(st, cl),
    T('h3', 0, 'Quality and certainty'),
    qualityFacts(st, b.quality || {}),
    T('h3', 0, 'Annotation'),
    annotationFacts(st),
    st.abstract?.length && h('details', { class: 'abstract' }, T('summary', 0, 'Abstract'),
      st.abstract.map((p) => h('p', {}, p.label && T('strong', 0, p.label + ': '), p.text))),
    T('h3', 0, 'Provenance'),
    provenance(st));
}

const studyDesign = (st) => st.design_label || designLabel(st.design);
const origin = (o, title) => h('span', { class: 'origin o-' + o, title, text: originLabel(o) });
const external = (href, props, ...kids) =>
  h('a', { href, ...props, rel: 'noopener noreferrer', target: '_blank' }, ...kids);

function linksOut(st) {
  const links = LINKS_OUT.filter(([k]) => safeUrl(st.links?.[k]))
    .map(([k, t]) => external(safeUrl(st.links[k]), { class: 'out out-' + k }, t, sr(' (opens in a new tab)')));
  if (!links.length) return null;
  return h('p', { class: 'links-out' }, 'Read it at: ', links.map((a, i) => [i ? ' · ' : '', a]));
}

// A term of a definition list, with where its value came from, and its value.
function fact(term, from, ...value) {
  return [h('dt', {}, term, from ? [' ', from] : null), h('dd', {}, ...value)];
}

function studiedFacts(st, b, cl, from) {
  const pop = st.population || {};
  const popBits = [
    pop.n_randomised && `${num(pop.n_randomised)} randomised`,
    pop.n_trials && plural(pop.n_trials, 'trial'),
    pop.n_participants && `${num(pop.n_participants)} participants`,
  ].filter(Boolean).join(', ');
  const concepts = (a) => (a.concepts || []).map((id) => cl(id)).join(', ');
  const comparator = (a) => `${a.label || ''} [${spaced(a.kind || '')}${a.concepts?.length ? ': ' + concepts(a) : ''}]`;
  return h('dl', { class: 'facts' },
    fact('Design', from('design'), studyDesign(st), st.meta_analysis ? ' (with meta-analysis)' : ''),
    fact('Conditions', from('conditions'), (pop.conditions || []).map((id) => cl(id)).join(', ') || '—',
      pop.description && sub(pop.description)),
    fact('Duration', from('duration'), pop.duration || 'not stated'),
    fact('Sample size', from('sample_size'),
      popBits || (b.participants ? `${num(b.participants)} participants` : 'not stated')),
    fact('Treatments', from('interventions'),
      (st.interventions || []).map((a) => sub(`${a.label || ''} [${concepts(a)}]`))),
    fact('Compared with', from('comparators'),
      (st.comparators || []).length ? st.comparators.map((a) => sub(comparator(a))) : 'not stated'));
}

function effectText(e) {
  if (!e) return '';
  const ci = e.ci_low != null && e.ci_high != null ? ` (95% CI ${fmt(e.ci_low)} to ${fmt(e.ci_high)})` : '';
  const sc = e.scale_min != null && e.scale_max != null ? ` on a ${e.scale_min}–${e.scale_max} scale` : '';
  return `${e.measure} ${fmt(e.value)}${ci}${sc}${e.better ? `; ${e.better} is better` : ''}`;
}

function outcomesTable(st, cl) {
  const outs = st.outcomes || [];
  if (!outs.length) return T('p', 'muted', 'No outcomes recorded.');
  const head = ['Outcome', 'Compared with', 'Result', 'Certainty'].map((t) => h('th', { scope: 'col', text: t }));
  const rows = [...outs].sort((a, b) => String(a.domain).localeCompare(b.domain)).map((o) => outcomeRow(o, cl));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'outcomes' },
    T('caption', 'sr-only', 'Results by outcome'), h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)));
}

function outcomeRow(o, cl) {
  const size = [o.n_studies && studies(o.n_studies), o.n_participants && `${num(o.n_participants)} participants`];
  const c = o.certainty;
  return h('tr', {},
    h('th', { scope: 'row', 'data-label': 'Outcome' }, cl(o.domain),
      (o.instrument_label || o.instrument) && sub(o.instrument_label || cl(o.instrument)),
      T('span', 'time', o.time_label || TIME[o.time_point] || 'time point not stated')),
    h('td', { 'data-label': 'Compared with' },
      (o.comparator || []).map((id) => cl(id)).join(', ') || spaced(o.comparator_kind || '')),
    h('td', { 'data-label': 'Result' }, T('strong', 0, cap(directionLabel(o.direction) || '')),
      o.effect && sub(effectText(o.effect)),
      (o.n_studies || o.n_participants) && sub(size.filter(Boolean).join(', ')),
      o.result_text && sub(o.result_text)),
    h('td', { 'data-label': 'Certainty' }, c ? certainty(c) : T('span', 'muted', 'not stated')));
}

function certainty(c) {
  return [T('strong', 0, levelWord(c.level)), sub(`System: ${spaced(c.system || 'not stated')}`),
    c.statement && sub(c.statement)];
}

function qualityFacts(st, q) {
  const qq = st.quality || {};
  const rob = qq.risk_of_bias;
  const score = q.score != null
    ? `${fmt(q.score, 1)}/10 (${q.scale || '0-10'})${q.estimated ? ', estimated' : ''}`
    : 'not rated';
  const basis = st.annotation?.quality_basis;
  const robDomain = (d) => sub(`${d.domain}: ${spaced(d.judgement)}${d.support ? ' — ' + d.support : ''}`);
  return h('dl', { class: 'facts' },
    fact('Quality score', null, score, basis && sub('Basis: ' + basis)),
    qq.pedro && fact('PEDro', null, `${qq.pedro.score}/10`, qq.pedro.source && sub('Source: ' + qq.pedro.source)),
    rob && fact('Risk of bias', null, `${rob.tool}: ${spaced(rob.overall)}`, (rob.domains || []).map(robDomain)),
    qq.grading_system && fact('Certainty system', null, spaced(qq.grading_system)),
    qq.certainty_statement && fact('Certainty statement', null, qq.certainty_statement));
}

function annotationFacts(st) {
  const a = st.annotation || {};
  const origins = Object.entries(a.origins || {});
  const ids = Object.entries(st.identifiers || {})
    .map(([k, v]) => sub(`${k.toUpperCase()}: ${[].concat(v).join(', ')}`));
  return h('dl', { class: 'facts' },
    fact('Sources', null, (a.sources || []).join(', ') || '—'),
    origins.length && fact('Field origins', null,
      h('ul', { class: 'origins' }, origins.map(([k, v]) => h('li', {}, spaced(k) + ': ', origin(v))))),
    a.mesh_terms?.length && fact('MeSH terms', null, a.mesh_terms.join('; ')),
    a.keywords?.length && fact('Keywords', null, a.keywords.join('; ')),
    st.publication_types?.length && fact('Publication types', null, st.publication_types.join('; ')),
    st.language && fact('Language', null, st.language),
    fact('Identifiers', null, ids));
}

function provenance(st) {
  const p = st.provenance || {};
  const source = (u) => h('li', {}, safeUrl(u) ? external(safeUrl(u), { text: u }) : u);
  const unverified = (u) =>
    h('li', {}, T('strong', 0, u.field), u.candidate ? ` (candidate ${u.candidate})` : '', ': ', u.note,
      u.quote ? h('blockquote', { text: u.quote }) : '');
  return h('dl', { class: 'facts prov' },
    fact('Sources', null, h('ul', {}, (p.sources || []).map(source))),
    p.unverified?.length && fact('Unverified', null, h('ul', { class: 'unverified' }, p.unverified.map(unverified))),
    p.secondary_source
      && fact('Secondary source', null, 'Yes: taken from a secondary source, not the original publication.'),
    p.notes && fact('Notes', null, p.notes),
    p.reference_row && fact('Reference row', null, p.reference_row));
}
