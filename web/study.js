// The study view (?study=ID): one record in full. In the clinician view, where each annotation
// came from and the curation notes are behind "How this was found"; the patient view has neither
// them nor the evidence level and quality scores.
import { safeUrl } from './safe.js';
import { $, h, T, sub, sr, clear } from './dom.js';
import { cap, fmt, num, plural, spaced, studies } from './format.js';
import { designLabel, timeLabel, directionLabel, levelWord, label } from './labels.js';
import { fetchLatest, isStale } from './api.js';
import { withState, link, rerender } from './state.js';
import { showError } from './notices.js';
import { qualityBadge } from './results.js';
import { howFound } from './howfound.js';

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
    showError(e, { retry: () => rerender(), what: 'study' });
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
      !patient && T('span', 'muted', 'Record ' + st.id)),
    st.retracted && T('p', 'notice error', 'This publication has been retracted. Do not rely on its results.'),
    st.draft && T('p', 'notice', 'Draft for curators: read automatically and not yet confirmed. '
      + 'Its results are not used in graded summaries.'),
    h('p', { class: 'badges' },
      T('span', 'badge design', studyDesign(st)),
      !patient && st.annotation?.evidence_level && T('span', 'badge', `Evidence level ${st.annotation.evidence_level}`),
      !patient && qualityBadge(b.quality || {})),
    linksOut(st),
    summaries.filter(([, t]) => t).map(([t, x]) => [T('h3', 0, t), T('p', 'lead', x)]),
    T('h3', 0, 'What was studied'),
    studiedFacts(st, b, cl),
    T('h3', 0, 'Results by outcome'),
    outcomesTable(st, cl),
    !patient && [T('h3', 0, 'Quality and certainty'), qualityFacts(st, b.quality || {})],
    st.abstract?.length && h('details', { class: 'abstract' }, T('summary', 0, 'Abstract'),
      st.abstract.map((p) => h('p', {}, p.label && T('strong', 0, p.label + ': '), p.text))),
    !patient && howFound(T('h3', 0, 'Where the record came from'), provenance(st),
      T('h3', 0, 'How each part was filled in'), annotationFacts(st)));
}

const studyDesign = (st) => st.design_label || designLabel(st.design);
// Where an annotation came from (annotation.origins), in words.
const ORIGIN_WORDS = {
  curated: 'entered by hand from the paper',
  source_metadata: 'taken from the PubMed or ClinicalTrials.gov record',
  text: 'read automatically from the title and abstract',
  estimated: 'estimated automatically',
};
const origin = (o) => h('span', { class: 'origin o-' + o, text: ORIGIN_WORDS[o] || spaced(o) });
const external = (href, props, ...kids) =>
  h('a', { href, ...props, rel: 'noopener noreferrer', target: '_blank' }, ...kids);

function linksOut(st) {
  const links = LINKS_OUT.filter(([k]) => safeUrl(st.links?.[k]))
    .map(([k, t]) => external(safeUrl(st.links[k]), { class: 'out out-' + k }, t, sr(' (opens in a new tab)')));
  if (!links.length) return null;
  return h('p', { class: 'links-out' }, 'Read it at: ', links.map((a, i) => [i ? ' · ' : '', a]));
}

// A term of a definition list and its value.
function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

function studiedFacts(st, b, cl) {
  const pop = st.population || {};
  const popBits = [
    pop.n_randomised && `${num(pop.n_randomised)} randomised`,
    pop.n_trials && plural(pop.n_trials, 'trial'),
    pop.n_participants && `${num(pop.n_participants)} participants`,
  ].filter(Boolean).join(', ');
  const concepts = (a) => (a.concepts || []).map((id) => cl(id)).join(', ');
  const comparator = (a) => `${a.label || ''} [${spaced(a.kind || '')}${a.concepts?.length ? ': ' + concepts(a) : ''}]`;
  return h('dl', { class: 'facts' },
    fact('Design', studyDesign(st), st.meta_analysis ? ' (with meta-analysis)' : ''),
    fact('Conditions', (pop.conditions || []).map((id) => cl(id)).join(', ') || '—',
      pop.description && sub(pop.description)),
    fact('Duration', pop.duration || 'not stated'),
    fact('Sample size',
      popBits || (b.participants ? `${num(b.participants)} participants` : 'not stated')),
    fact('Treatments',
      (st.interventions || []).map((a) => sub(`${a.label || ''} [${concepts(a)}]`))),
    fact('Compared with',
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
      T('span', 'time', o.time_label || timeLabel(o.time_point) || 'time point not stated')),
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
    fact('Quality score', score, basis && sub('Basis: ' + basis)),
    qq.pedro && fact('PEDro', `${qq.pedro.score}/10`, qq.pedro.source && sub('Source: ' + qq.pedro.source)),
    rob && fact('Risk of bias', `${rob.tool}: ${spaced(rob.overall)}`, (rob.domains || []).map(robDomain)),
    qq.grading_system && fact('Certainty system', spaced(qq.grading_system)),
    qq.certainty_statement && fact('Certainty statement', qq.certainty_statement));
}

const SOURCE_WORDS = { curated: 'curated by hand', pubmed: 'PubMed', ctgov: 'ClinicalTrials.gov' };

function annotationFacts(st) {
  const a = st.annotation || {};
  const origins = Object.entries(a.origins || {});
  const ids = Object.entries(st.identifiers || {})
    .map(([k, v]) => sub(`${k.toUpperCase()}: ${[].concat(v).join(', ')}`));
  return h('dl', { class: 'facts' },
    fact('Sources', (a.sources || []).map((x) => SOURCE_WORDS[x] || x).join(', ') || '—'),
    origins.length && fact('Parts of the record',
      h('ul', { class: 'origins' }, origins.map(([k, v]) => h('li', {}, cap(spaced(k)) + ': ', origin(v))))),
    a.mesh_terms?.length && fact('MeSH terms', a.mesh_terms.join('; ')),
    a.keywords?.length && fact('Keywords', a.keywords.join('; ')),
    st.publication_types?.length && fact('Publication types', st.publication_types.join('; ')),
    st.language && fact('Language', st.language),
    fact('Identifiers', ids));
}

function provenance(st) {
  const p = st.provenance || {};
  const source = (u) => h('li', {}, safeUrl(u) ? external(safeUrl(u), { text: u }) : u);
  const unverified = (u) =>
    h('li', {}, T('strong', 0, u.field), u.candidate ? ` (candidate ${u.candidate})` : '', ': ', u.note,
      u.quote ? h('blockquote', { text: u.quote }) : '');
  return h('dl', { class: 'facts prov' },
    fact('Facts taken from', h('ul', {}, (p.sources || []).map(source))),
    p.unverified?.length && fact('Not verified, so left out',
      h('ul', { class: 'unverified' }, p.unverified.map(unverified))),
    p.secondary_source
      && fact('Secondary source', 'Yes: taken from a secondary source, not the original publication.'),
    p.notes && fact('Curators’ note', p.notes),
    p.reference_row && fact('Written from', `Row ${p.reference_row} of the sheet of verified facts`));
}
