// backpain-evidence web page. Plain ES module, no framework. Every string from a record is put
// in the page with textContent (via h()); the snippet is split into text and <mark> runs.
import { snippetParts, safeUrl } from './safe.js';

const PER_PAGE = 10;
const FACETS = ['design', 'intervention', 'condition', 'outcome'];
const FACET_TITLE = { design: 'Study design', intervention: 'Treatment', condition: 'Condition', outcome: 'Outcome' };
const LEVELS = { high: 4, moderate: 3, low: 2, very_low: 1 };
const LEVEL_WORD = { high: 'High', moderate: 'Moderate', low: 'Low', very_low: 'Very low' };
const SURE = {
  high: 'We are confident',
  moderate: 'We are fairly confident',
  low: 'We are not very confident',
  very_low: 'We are very unsure',
};
const TIME = { immediate: 'immediate', short: 'short term', intermediate: 'intermediate term', long: 'long term' };
const TIME_PLAIN = {
  immediate: 'right after treatment',
  short: 'in the short term',
  intermediate: 'in the medium term',
  long: 'in the long term',
};
const DIRECTION = {
  favours_intervention: 'favours the treatment',
  favours_comparator: 'favours the comparator',
  no_difference: 'no difference',
  conflicting: 'conflicting',
  unclear: 'unclear',
};
const DOMAIN = {
  risk_of_bias: 'Risk of bias',
  inconsistency: 'Inconsistency',
  indirectness: 'Indirectness',
  imprecision: 'Imprecision',
  publication_bias: 'Publication bias',
};
const DESIGN = {
  guideline: 'Guideline',
  systematic_review: 'Systematic review',
  meta_analysis: 'Meta-analysis',
  rct: 'Randomised trial',
  non_randomised_trial: 'Non-randomised trial',
  cohort: 'Cohort study',
  case_control: 'Case-control study',
  case_series: 'Case series',
  protocol: 'Protocol',
  narrative_review: 'Narrative review',
  other: 'Other',
};
const ORIGIN = { curated: 'curated', source_metadata: 'source metadata', text: 'from the text', estimated: 'estimated' };
const KIND = { intervention: 'treatment', condition: 'condition', outcome: 'outcome', design: 'study type', comparator: 'comparator', instrument: 'measure' };
const EXAMPLES = {
  clinician: ['electrotherapy chronic LBP efficacy', 'surgery vs physical therapy spinal stenosis', 'exercise chronic low back pain', 'opioids'],
  patient: ['does acupuncture help my back', 'do painkillers help back pain', 'yoga for back pain', 'exercise for chronic low back pain'],
};

const $ = (id) => document.getElementById(id);
const vocab = new Map();
let state = null;
let cache = { key: '', data: null };
let seq = 0;
let controller = null;
const ui = { allGroups: false, allCards: false };

// ---------- DOM helpers ----------
export function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  setProps(e, props);
  add(e, kids);
  return e;
}
function svg(tag, props, ...kids) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setProps(e, props);
  add(e, kids);
  return e;
}
function setProps(e, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.setAttribute('class', v);
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
}
function add(e, kids) {
  for (const k of kids.flat(Infinity)) if (k != null && k !== false && k !== '' && k !== 0) e.append(k instanceof Node ? k : String(k));
}
const clear = (e, ...kids) => {
  e.replaceChildren();
  add(e, kids);
  return e;
};
const cap = (s) => (s ? s[0].toUpperCase() + s.slice(1) : '');
const num = (n) => Number(n).toLocaleString('en-GB');
const plural = (n, one, many = one + 's') => `${num(n)} ${n === 1 ? one : many}`;
function fmt(x, d = 2) {
  const r = Math.round(x * 10 ** d) / 10 ** d;
  return (Object.is(r, -0) || r === 0 ? '0' : String(r)).replace('-', '\u2212');
}
const T = (tag, cls, text) => h(tag, { class: cls || null, text });
const sub = (text) => T('span', 'sub', text);
const sr = (text) => T('span', 'sr-only', text);

// ---------- URL state ----------
function readState(loc = location) {
  const p = new URLSearchParams(loc.search);
  const s = {
    q: (p.get('q') || '').trim(),
    view: p.get('view') === 'patient' ? 'patient' : 'clinician',
    sort: ['year', 'quality'].includes(p.get('sort')) ? p.get('sort') : 'relevance',
    page: Math.max(1, Math.min(1000, parseInt(p.get('page'), 10) || 1)),
    year_min: /^\d{4}$/.test(p.get('year_min') || '') ? p.get('year_min') : '',
    year_max: /^\d{4}$/.test(p.get('year_max') || '') ? p.get('year_max') : '',
    quality_min: /^([0-9]|10)$/.test(p.get('quality_min') || '') ? p.get('quality_min') : '',
    study: p.get('study') || '',
    filters: {},
  };
  for (const f of FACETS) s.filters[f] = [...new Set(p.getAll(f).flatMap((v) => v.split(',')).filter(Boolean))];
  const m = /^#\/study\/([\w.:-]{1,64})$/.exec(loc.hash);
  if (m) s.study = decodeURIComponent(m[1]);
  return s;
}
function params(s, { api = false, page = true } = {}) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  for (const f of FACETS) for (const v of s.filters[f]) p.append(f, v);
  for (const k of ['year_min', 'year_max', 'quality_min']) if (s[k]) p.set(k, s[k]);
  if (s.sort !== 'relevance') p.set('sort', s.sort);
  if (page && s.page > 1) p.set('page', String(s.page));
  if (api) {
    if (page) p.set('per_page', String(PER_PAGE));
    p.set('audience', s.view);
  } else {
    if (s.view === 'patient') p.set('view', 'patient');
    if (s.study) p.set('study', s.study);
  }
  return p;
}
function urlFor(s) {
  const p = params(s).toString();
  return location.pathname + (p ? '?' + p : '');
}
const withState = (patch) => ({ ...state, filters: { ...state.filters }, ...patch });
const hasFilters = (s) => FACETS.some((f) => s.filters[f].length) || s.year_min || s.year_max || s.quality_min;

function go(next, { replace = false, focus = null } = {}) {
  history[replace ? 'replaceState' : 'pushState']({ focus }, '', urlFor(next));
  render(next, focus);
}
function link(next, props, ...kids) {
  return h('a', { ...props, href: urlFor(next), 'data-nav': '' }, ...kids);
}

// ---------- API ----------
class ApiError extends Error {}
async function api(path, signal) {
  let res;
  try {
    res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('The evidence server could not be reached. Check your connection and try again.');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new ApiError(body?.error?.message ? cap(body.error.message) + '.' : `The server answered with status ${res.status}.`);
  return body;
}
async function loadVocabulary() {
  try {
    const d = await api('/api/vocabulary');
    for (const c of d.concepts) vocab.set(c.id, c);
  } catch {
    /* labels fall back to ids */
  }
}
const label = (id, view = state.view) => {
  const c = vocab.get(id);
  return c ? (view === 'patient' ? c.plain : c.preferred) : id.replace(/_/g,' ');
};

// ---------- rendering ----------
async function render(s, focus) {
  state = s;
  const my = ++seq; // a newer render makes this one's late answers void
  controller?.abort();
  const startFocus = document.activeElement;
  const patient = s.view === 'patient';
  document.body.className = 'view-' + s.view;
  for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === s.view));
  $('q-label').textContent = patient ? 'What would you like to know about back pain treatment?' : 'Search the evidence: treatment, condition, outcome';
  const q = $('q');
  if (document.activeElement !== q || !q.value) q.value = s.q;
  q.placeholder = patient ? 'e.g. does acupuncture help my back' : 'e.g. electrotherapy chronic LBP efficacy';
  clear($('examples'), EXAMPLES[s.view].slice(0, 3).map((x, i) => [i ? ', ' : '', link(withState({ q: x, page: 1, study: '', filters: emptyFilters() }), { text: x })]));
  $('sort').value = s.sort;
  clear($('error'));
  document.title = (s.study ? 'Study · ' : s.q ? s.q + ' · ' : '') + 'Back pain evidence';

  if (s.study) {
    $('results-view').hidden = true;
    clear($('welcome')).hidden = true;
    await renderStudy(s, focus, my);
    return;
  }
  clear($('study')).hidden = true;
  if (!s.q && !hasFilters(s)) {
    $('results-view').hidden = true;
    $('status').textContent = '';
    renderWelcome(s);
    return;
  }
  clear($('welcome')).hidden = true;
  $('results-view').hidden = false;
  const key = params(s, { api: true }).toString();
  let data = cache.key === key ? cache.data : null;
  if (!data) {
    controller = new AbortController();
    $('results-view').setAttribute('aria-busy', 'true');
    $('status').textContent = 'Searching…';
    try {
      data = await api('/api/search?' + key, controller.signal);
    } catch (e) {
      if (e.name === 'AbortError' || my !== seq) return;
      $('results-view').removeAttribute('aria-busy');
      $('results-view').hidden = true;
      $('status').textContent = 'The search failed.';
      showError(e.message, () => render(state), hasFilters(s) && [' or ', link(clearAll(), { text: 'remove all filters' })]);
      return;
    }
    if (my !== seq) return;
    $('results-view').removeAttribute('aria-busy');
    cache = { key, data };
  }
  const active = document.activeElement?.dataset?.key;
  renderSummary(data, s);
  renderFacets(data, s);
  renderHits(data, s);
  announce(data, s);
  // Restore focus to the control that was re-rendered, unless the reader has moved on.
  const now = document.activeElement;
  if (now === startFocus || now === document.body || !now?.isConnected) refocus(focus || active);
}
function refocus(key) {
  if (!key) return;
  const t = document.querySelector(`[data-key="${CSS.escape(key)}"]`) || { results: $('results-title'), summary: $('summary-title') }[key];
  if (t) {
    if (!t.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|SUMMARY)$/.test(t.tagName)) t.setAttribute('tabindex', '-1');
    t.focus();
  }
}
function showError(message, retry, extra) {
  clear($('error'), h('div', { class: 'notice error' }, h('p', {}, T('strong', 0, 'Something went wrong. '), message),
    h('p', {}, retry && h('button', { type: 'button', class: 'secondary', onclick: retry, text: 'Try again' }), extra)));
}
const clearAll = () => withState({ filters: emptyFilters(), year_min: '', year_max: '', quality_min: '', page: 1 });
function announce(d, s) {
  const findings = d.summary?.findings || [];
  let t;
  if (!d.found) t = `No studies found${s.q ? ` for “${s.q}”` : ''}.`;
  else if (!d.hits.length) t = `${plural(d.found, 'study', 'studies')} found; this page is past the last result.`;
  else {
    const from = (d.page - 1) * d.per_page + 1;
    t = `${d.found_exact === false ? 'About ' : ''}${plural(d.found, 'study', 'studies')} found. Showing ${num(from)} to ${num(Math.min(d.found, from + d.hits.length - 1))}.`;
    if (findings.length)
      t += s.view === 'patient'
        ? ` Summary for ${plural(groupBy(findings, (f) => f.intervention.id).length, 'treatment')}.`
        : ` Graded summary: ${plural(findings.length, 'finding')}.`;
  }
  $('status').textContent = t;
}
const emptyFilters = () => Object.fromEntries(FACETS.map((f) => [f, []]));

function renderWelcome(s) {
  const w = $('welcome');
  w.hidden = false;
  const patient = s.view === 'patient';
  clear(
    w,
    patient && safety(),
    patient && disclaimer(),
    h('h2', { id: 'welcome-title', text: patient ? 'Find out what research says about back pain treatments' : 'Graded evidence on back pain treatments' }),
    h('p', {
      text: patient
        ? 'Type a treatment or a question in your own words. We show what studies found, in plain language, and how sure we can be.'
        : 'Ask a clinical question. Above the ranked studies you get a GRADE-style summary of findings per comparison, with effect sizes against the minimal important difference and the reason for every downgrade.',
    }),
    T('h3', 0, 'Try'),
    h('ul', { class: 'examples' }, EXAMPLES[s.view].map((x) => h('li', {}, link(withState({ q: x, page: 1, filters: emptyFilters() }), { text: x })))),
    h('p', { class: 'muted', id: 'stats' }),
  );
  api('/api/stats').then((st) => {
    if ($('stats')) $('stats').textContent = `${num(st.records)} research records indexed.`;
  }, () => {});
}

// ---------- graded summary ----------
function groupBy(list, keyOf) {
  const m = new Map();
  for (const x of list) {
    const k = keyOf(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(x);
  }
  return [...m.values()];
}
function renderSummary(d, s) {
  const box = $('summary');
  const findings = d.summary?.findings || [];
  const messages = d.summary?.messages || [];
  box.hidden = false;
  clear(box);
  const patient = s.view === 'patient';
  const head = h('div', { class: 'summary-head' },
    h('h2', { id: 'summary-title', text: !d.found ? 'No results' : patient ? 'What the research says' : 'Graded summary of findings' }),
    findings.length && h('button', { type: 'button', class: 'secondary noprint', onclick: () => window.print(), text: 'Print summary' }));
  box.append(head, T('p', 'print-only', `Search: “${s.q}” · ${location.href}`));
  add(box, [understood(d.query?.parsed, s), patient && safety(), messages.map((m) => T('p', 'notice', m))]);
  if (!d.found) {
    box.append(noResults(d, s));
    return;
  }
  if (!findings.length) {
    if (!messages.length) box.append(T('p', 'notice', patient ? 'We could not find study results to summarise for this question. Try naming a treatment, such as exercise or acupuncture.' : 'No graded findings for this question. Name a treatment (and a condition) to get a summary of findings.'));
    return;
  }
  if (patient) renderCards(box, findings);
  else renderTables(box, findings);
}
function understood(parsed, s) {
  const cs = [...new Map((parsed?.concepts || []).map((c) => [c.id, c])).values()];
  if (!cs.length) return null;
  return h('p', { class: 'understood' }, s.view === 'patient' ? 'About: ' : 'Question understood as: ',
    cs.map((c, i) => [i ? ' · ' : '', h('span', { class: 'concept' }, s.view === 'patient' ? c.plain : c.preferred,
      T('span', 'kind', ` (${parsed.comparators?.includes(c.id) ? 'comparator' : KIND[c.kind] || c.kind})`))]));
}
function noResults(d, s) {
  const dym = d.query?.did_you_mean;
  const tips = h('ul', {},
    dym && h('li', {}, 'Did you mean ', link(withState({ q: dym, page: 1 }), { text: dym }), '?'),
    T('li', 0, 'Check the spelling, or use fewer or broader words (for example “exercise” instead of a named programme).'),
    hasFilters(s) && h('li', {}, link(clearAll(), { text: 'Remove all filters' })),
    h('li', {}, 'Try: ', EXAMPLES[s.view].map((x, i) => [i ? ', ' : '', link(withState({ q: x, page: 1, filters: emptyFilters() }), { text: x })])));
  return h('div', { class: 'notice empty' }, h('p', {}, T('strong', 0, `No studies matched${s.q ? ` “${s.q}”` : ''}.`)), tips);
}

function safety() {
  return h('aside', { class: 'safety', 'aria-labelledby': 'safety-title' },
    h('h3', { id: 'safety-title', text: 'Get medical help first' }),
    T('p', 0, 'See a doctor straight away, or call emergency services, if you have new or severe symptoms: numbness around your bottom or genitals, loss of bladder or bowel control, weakness in your legs, fever, pain after a fall or injury, or pain that keeps getting worse.'));
}
const disclaimer = () => T('p', 'muted', 'This page explains research. It cannot tell what is right for you: talk to your doctor or physiotherapist before you start or stop a treatment.');

// Patient view: one card per treatment.
function dots(level) {
  const n = LEVELS[level] || 1;
  return h('span', { class: 'sure sure-' + level },
    h('span', { class: 'dots', 'aria-hidden': 'true' }, [1, 2, 3, 4].map((i) => h('span', { class: i <= n ? 'dot on' : 'dot' }))),
    T('span', 0, `${SURE[level] || SURE.very_low} (${n} of 4)`));
}
function renderCards(box, findings) {
  const groups = groupBy(findings, (f) => f.intervention.id);
  const shown = ui.allCards ? groups : groups.slice(0, 6);
  const list = h('div', { class: 'cards' });
  for (const g of shown) {
    const f0 = g[0];
    const pref = vocab.get(f0.intervention.id)?.preferred;
    const usable = g.filter((f) => !f.thin);
    const seen = new Set();
    const items = usable.filter((f) => !seen.has(f.sentences.patient) && seen.add(f.sentences.patient));
    const card = h('article', { class: 'card', 'aria-labelledby': 'card-' + f0.intervention.id },
      h('h3', { id: 'card-' + f0.intervention.id }, cap(f0.intervention.plain),
        pref && pref.toLowerCase() !== f0.intervention.plain.toLowerCase() && T('span', 'aka', ` (${pref})`)));
    if (!items.length) card.append(T('p', 0, g[0].sentences.patient || 'We could not find clear results for this treatment.'));
    const ul = h('ul', { class: 'plain-findings' });
    items.slice(0, 3).forEach((f) => ul.append(plainFinding(f)));
    if (items.length) card.append(ul);
    if (items.length > 3) {
      const more = h('ul', { class: 'plain-findings' }, items.slice(3).map(plainFinding));
      card.append(h('details', { class: 'more' }, T('summary', 0, `${items.length - 3} more result${items.length > 4 ? 's' : ''} for this treatment`), more));
    }
    list.append(card);
  }
  box.append(list, disclaimer());
  box.append(h('details', { class: 'help' }, T('summary', 0, 'What do the dots mean?'),
    T('p', 0, 'The dots show how sure we can be that the research result is right. 4 dots: we are confident, new studies are unlikely to change it. 3 dots: fairly confident. 2 dots: not very confident, new studies could change the answer. 1 dot: very unsure.')));
  if (groups.length > shown.length)
    box.append(h('button', { type: 'button', class: 'secondary', 'data-key': 'more-cards', onclick: () => { ui.allCards = true; render(state, 'more-cards'); }, text: `Show ${groups.length - shown.length} more treatments` }));
}
function plainFinding(f) {
  const outcome = f.outcome.id === 'benefit' ? 'overall benefit' : vocab.get(f.outcome.id)?.plain || f.outcome.label;
  const when = TIME_PLAIN[f.time_point];
  return h('li', {},
    T('p', 'sentence', f.sentences.patient),
    h('p', { class: 'meta' },
      h('span', {}, T('span', 'k', 'Looked at: '), outcome + (when ? ', ' + when : '')),
      h('span', {}, T('span', 'k', 'Compared with: '), f.comparator.plain),
      h('span', {}, T('span', 'k', 'Based on: '), plural(f.n_studies, 'study', 'studies') + (f.n_participants ? ` with ${num(f.n_participants)} people` : ''))),
    dots(f.certainty.level));
}

// Clinician view: a summary-of-findings table per question (intervention vs comparator).
function renderTables(box, findings) {
  const groups = groupBy(findings, (f) => f.intervention.id + '|' + f.comparator.kind);
  const shown = ui.allGroups ? groups : groups.slice(0, 4);
  for (const g of shown) box.append(sofTable(g));
  if (groups.length > shown.length)
    box.append(h('button', { type: 'button', class: 'secondary', 'data-key': 'more-groups', onclick: () => { ui.allGroups = true; render(state, 'more-groups'); }, text: `Show ${groups.length - shown.length} more comparisons` }));
}
function sofTable(g) {
  const f0 = g[0];
  const title = `${cap(f0.intervention.label)} vs ${f0.comparator.label}`;
  const id = 'sof-' + f0.key.replace(/[^\w-]/g, '_');
  const tbody = h('tbody');
  for (const f of g) sofRows(f, tbody);
  return h('section', { class: 'sof', 'aria-labelledby': id },
    h('h3', { id }, title),
    f0.population.label && T('p', 'muted', `Population: ${f0.population.label}`),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'sof-table' },
        T('caption', 'sr-only', 'Summary of findings: ' + title),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Outcome' }),
          h('th', { scope: 'col', text: 'Studies (participants)' }),
          h('th', { scope: 'col' }, 'Effect (95% CI) vs MID', T('span', 'th-note', 'positive favours the treatment; bar: 95% CI, shaded: within the MID')),
          h('th', { scope: 'col', text: 'Certainty (GRADE)' }))),
        tbody)));
}
function sofRows(f, tbody) {
  const time = TIME[f.time_point];
  tbody.append(h('tr', { class: 'main' + (f.thin ? ' thin' : '') },
    h('th', { scope: 'row', 'data-label': 'Outcome' }, cap(f.outcome.label),
      T('span', 'time', time || 'time point not stated')),
    h('td', { 'data-label': 'Studies' }, plural(f.n_studies, 'study', 'studies'),
      f.n_participants ? sub(`${num(f.n_participants)} participants`) : null),
    h('td', { 'data-label': 'Effect' }, effectCell(f)),
    h('td', { 'data-label': 'Certainty' }, certaintyCell(f))));
  const detail = h('td', { colspan: '4' }, T('p', 'sentence', f.sentences.clinician));
  if (f.results.length) detail.append(studiesDetails(f));
  tbody.append(h('tr', { class: 'detail' }, detail));
}
function midOf(f) {
  const e = f.effect;
  if (!e) return null;
  if (e.measure === 'SMD') return { v: 0.5, text: 'MID 0.5 SMD' };
  if (e.scale === 'log') return { v: Math.log(1.25), text: `MID ratio 1.25` };
  if (e.scale === '0-100') {
    const v = f.outcome.id === 'pain' ? 15 : f.outcome.id === 'function' ? 10 : 0;
    return v ? { v, text: `MID ${v}/100` } : null;
  }
  return null;
}
function midVerdict(y, lo, hi, m) {
  if (lo >= m || hi <= -m) return 'whole CI beyond the MID';
  if (Math.abs(y) >= m) return 'estimate beyond the MID, CI includes smaller effects';
  if (hi < m && lo > -m) return 'whole CI within the MID: no important effect';
  return 'estimate below the MID, CI includes an important effect';
}
function effectLabel(e) {
  if (e.scale === 'log') return [e.text || e.measure, ''];
  const unit = e.scale === '0-100' ? ' /100' : e.scale?.startsWith('raw') ? ' (raw units)' : '';
  return [`${e.measure} ${fmt(e.value, e.scale === '0-100' ? 1 : 2)}${unit}`, `(${fmt(e.ci_low)} to ${fmt(e.ci_high)})`];
}
function effectCell(f) {
  if (f.thin) return T('span', 'muted', 'No usable result reported');
  const out = [];
  const e = f.effect;
  if (e) {
    const [main, ci] = effectLabel(e);
    out.push(h('span', { class: 'eff' }, T('strong', 0, main), ' ', ci));
    const mid = midOf(f);
    out.push(midBar(e, mid));
    const size = f.effect_size === 'unknown' ? '' : f.effect_size === 'none' ? 'No important effect' : `${cap(f.effect_size)} effect${e.value < 0 ? ' favouring the comparator' : ''}`;
    out.push(sub([size, mid && `${mid.text}: ${midVerdict(e.value, e.ci_low, e.ci_high, mid.v)}`].filter(Boolean).join('; ')));
  } else {
    const votes = {};
    for (const r of f.results) votes[r.direction] = (votes[r.direction] || 0) + 1;
    const others = Object.entries(votes).filter(([k]) => k !== f.direction).map(([k, n]) => `${n} ${DIRECTION[k] || k}`);
    out.push(T('strong', 0, 'No effect estimate'));
    out.push(sub(`Direction: ${DIRECTION[f.direction] || f.direction}${votes[f.direction] ? ` (${votes[f.direction]} of ${plural(f.results.length, 'study', 'studies')}${others.length ? '; ' + others.join(', ') : ''})` : ''}`));
  }
  const used = f.results.find((r) => r.used_in_estimate);
  const src = { review: `From review: ${used?.label || ''}`, pooled: f.meta_analysis ? `Pooled here: ${f.meta_analysis.k} studies, I² ${fmt(f.meta_analysis.i2, 0)}%` : 'Pooled here', single: `Single study: ${used?.label || ''}`, vote_count: 'Vote count of directions' }[f.effect_source];
  if (src) out.push(T('span', 'src', src));
  return out;
}
// A small bar: the CI against the zone of unimportant effects (±MID) and the line of no effect.
function midBar(e, mid) {
  const lim = Math.max(Math.abs(e.ci_low), Math.abs(e.ci_high), mid ? mid.v * 1.5 : 0) * 1.1 || 1;
  const x = (v) => 80 + (v / lim) * 76;
  return svg('svg', { class: 'midbar', viewBox: '0 0 160 16', width: '160', height: '16', 'aria-hidden': 'true', focusable: 'false' },
    mid && svg('rect', { x: x(-mid.v), y: 1, width: x(mid.v) - x(-mid.v), height: 14, class: 'mid-zone' }),
    svg('line', { x1: 2, x2: 158, y1: 15.5, y2: 15.5, class: 'base' }),
    svg('line', { x1: 80, x2: 80, y1: 0, y2: 16, class: 'zero' }),
    svg('line', { x1: x(e.ci_low), x2: x(e.ci_high), y1: 8, y2: 8, class: 'ci' }),
    svg('rect', { x: x(e.value) - 3, y: 5, width: 6, height: 6, class: 'pt' }));
}
function certaintyCell(f) {
  const c = f.certainty;
  const out = [h('span', { class: 'cert cert-' + c.level },
    h('span', { class: 'sym', 'aria-hidden': 'true', text: c.symbols }), ' ', LEVEL_WORD[c.level] || c.level)];
  const st = f.stated_certainty;
  if (st) {
    out.push(h('span', { class: 'stated' + (st.disagrees ? ' differs' : '') },
      `${st.system === 'GRADE' ? 'Review’s GRADE' : 'Review states'}: ${LEVEL_WORD[st.level] || st.level.replace(/_/g,' ')}`,
      st.disagrees && T('strong', 'flag', ' ≠ differs from ours')));
  }
  const det = h('details', { class: 'why' },
    T('summary', 0, c.downgrades.length ? `Why ${(LEVEL_WORD[c.level] || c.level).toLowerCase()}? (${c.downgrades.length} downgrade${c.downgrades.length > 1 ? 's' : ''})` : 'How graded'));
  const ul = h('ul');
  if (!c.downgrades.length) ul.append(T('li', 0, 'No downgrades.'));
  for (const d of c.downgrades) ul.append(h('li', {}, T('strong', 0, `${DOMAIN[d.domain] || d.domain} (−${d.levels}): `), d.reason));
  det.append(ul);
  if (st?.statement) det.append(h('p', { class: 'sub' }, `Stated by ${f.results.find((r) => r.record_id === st.source)?.label || st.source || 'the review'}${st.system ? ` (${st.system.replace(/_/g,' ')})` : ''}: `, st.statement));
  if (f.rules.length) det.append(T('p', 'sub', 'Rules applied: ' + f.rules.map((r) => r.split(':')[0].replace(/_/g,' ')).join('; ')));
  out.push(det);
  return out;
}

// ---------- forest plot ----------
// Puts a study's effect on the finding's footing (positive favours the intervention), as the
// server does for the pooled estimate.
export function orient(e, direction) {
  if (!e || typeof e.value !== 'number') return null;
  let y = e.value, lo = e.ci_low, hi = e.ci_high;
  const ci = typeof lo === 'number' && typeof hi === 'number';
  const flip = () => { [y, lo, hi] = [-y, ci ? -hi : lo, ci ? -lo : hi]; };
  let scale;
  if (['RR', 'OR', 'HR'].includes(e.measure)) {
    if (y <= 0 || (ci && (lo <= 0 || hi <= 0))) return null;
    y = Math.log(y);
    if (ci) [lo, hi] = [Math.log(lo), Math.log(hi)];
    if (e.better !== 'higher') flip();
    scale = 'log';
  } else if (['MD', 'SMD', 'RD'].includes(e.measure)) {
    const doFlip = e.contrast === 'improvement_difference' ? false : e.contrast === 'comparator_minus_intervention' ? e.better === 'higher' : e.better !== 'higher';
    if (doFlip) flip();
    scale = e.measure;
    if (e.measure === 'MD') {
      const span = typeof e.scale_min === 'number' && typeof e.scale_max === 'number' ? e.scale_max - e.scale_min : 0;
      if (span > 0) {
        const k = 100 / span;
        y *= k;
        if (ci) [lo, hi] = [lo * k, hi * k];
        scale = '0-100';
      } else scale = 'raw';
    }
  } else return null;
  if (ci && lo > hi) [lo, hi] = [hi, lo];
  if (!e.contrast && ((direction === 'favours_intervention' && y < 0) || (direction === 'favours_comparator' && y > 0))) flip();
  return { y, lo: ci ? lo : null, hi: ci ? hi : null, key: e.measure + '|' + scale };
}
function niceTicks(a, b) {
  const span = b - a || 1;
  const step0 = 10 ** Math.floor(Math.log10(span / 4));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * step0).find((s) => span / s <= 5);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out;
}
function forest(f, width) {
  const fe = f.effect;
  const rows = f.results.map((r) => ({ r, o: orient(r.effect, r.direction) })).filter((x) => x.o);
  const keyOf = (e) => (e ? e.measure + '|' + (String(e.scale).startsWith('raw') ? 'raw' : e.scale) : '');
  let key = keyOf(fe);
  if (!key) {
    const counts = {};
    for (const x of rows) counts[x.o.key] = (counts[x.o.key] || 0) + 1;
    key = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0];
  }
  const drawn = rows.filter((x) => x.o.key === key);
  const other = rows.length - drawn.length;
  if (!drawn.length && !fe) return null;
  const mid = midOf(f);
  let lo = 0, hi = 0;
  for (const { o } of drawn) for (const v of [o.y, o.lo, o.hi]) if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (fe) { lo = Math.min(lo, fe.ci_low); hi = Math.max(hi, fe.ci_high); }
  if (mid) { lo = Math.min(lo, -mid.v); hi = Math.max(hi, mid.v); }
  const pad = (hi - lo) * 0.08 || 0.5;
  lo -= pad; hi += pad;
  const W = Math.max(320, Math.min(720, width || 640));
  const narrow = W < 480;
  const LW = narrow ? 84 : 150, VW = narrow ? 124 : 150, RH = 22, top = 22;
  const px = (v) => LW + ((v - lo) / (hi - lo)) * (W - LW - VW - 10);
  const n = drawn.length + (fe ? 1 : 0);
  const H = top + n * RH + 44;
  const ciText = (y, a, b) => (a == null ? fmt(y) : `${fmt(y)} [${fmt(a)}, ${fmt(b)}]`);
  const measure = key.split('|')[0] + (key.endsWith('0-100') ? ' /100' : key.endsWith('log') ? ' (log, oriented)' : '');
  const plot = svg('svg', { class: narrow ? 'forest narrow' : 'forest', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'ft-' + f.key.replace(/[^\w]/g, '_') },
    svg('title', { id: 'ft-' + f.key.replace(/[^\w]/g, '_'), text: `Forest plot of ${plural(drawn.length, 'study', 'studies')}, ${measure}${fe ? `; estimate ${fmt(fe.value)} (95% CI ${fmt(fe.ci_low)} to ${fmt(fe.ci_high)})` : ''}. Positive values favour the treatment.` }),
    svg('text', { x: 0, y: 14, class: 'hd', text: 'Study' }),
    svg('text', { x: W, y: 14, class: 'hd end', text: measure + ' [95% CI]' }));
  const axisY = top + n * RH + 4;
  if (mid) for (const v of [-mid.v, mid.v]) plot.append(svg('line', { x1: px(v), x2: px(v), y1: top, y2: axisY, class: 'midline' }));
  plot.append(svg('line', { x1: px(0), x2: px(0), y1: top - 4, y2: axisY, class: 'zero' }));
  drawn.forEach(({ r, o }, i) => {
    const cy = top + i * RH + RH / 2;
    const name = r.label.length > (narrow ? 13 : 22) ? r.label.slice(0, narrow ? 12 : 21) + '…' : r.label;
    plot.append(svg('text', { x: 0, y: cy + 4, text: name }));
    if (o.lo != null) plot.append(svg('line', { x1: px(o.lo), x2: px(o.hi), y1: cy, y2: cy, class: 'ci' }));
    plot.append(svg('rect', { x: px(o.y) - 4, y: cy - 4, width: 8, height: 8, class: r.used_in_estimate ? 'pt' : 'pt open' }));
    plot.append(svg('text', { x: W, y: cy + 4, class: 'end', text: ciText(o.y, o.lo, o.hi) }));
  });
  if (fe) {
    const cy = top + drawn.length * RH + RH / 2;
    const name = f.effect_source === 'pooled' ? (narrow ? 'Pooled' : 'Pooled (RE)') : narrow ? 'Estimate' : 'Estimate used';
    plot.append(svg('text', { x: 0, y: cy + 4, class: 'hd', text: name }));
    plot.append(svg('polygon', { class: 'diamond', points: `${px(fe.ci_low)},${cy} ${px(fe.value)},${cy - 6} ${px(fe.ci_high)},${cy} ${px(fe.value)},${cy + 6}` }));
    plot.append(svg('text', { x: W, y: cy + 4, class: 'end hd', text: ciText(fe.value, fe.ci_low, fe.ci_high) }));
  }
  plot.append(svg('line', { x1: LW, x2: W - VW - 10, y1: axisY, y2: axisY, class: 'axis' }));
  for (const t of niceTicks(lo, hi)) {
    plot.append(svg('line', { x1: px(t), x2: px(t), y1: axisY, y2: axisY + 4, class: 'axis' }));
    plot.append(svg('text', { x: px(t), y: axisY + 15, class: 'mid', text: fmt(t) }));
  }
  plot.append(svg('text', { x: px(0) - 6, y: axisY + 32, class: 'end small', text: narrow ? '← comparator' : '← favours comparator' }));
  plot.append(svg('text', { x: px(0) + 6, y: axisY + 32, class: 'small', text: narrow ? 'treatment →' : 'favours treatment →' }));
  return { plot, other, drawn: drawn.length };
}
function studiesDetails(f) {
  const det = h('details', { class: 'studies' });
  const withEffect = f.results.filter((r) => r.effect).length;
  det.append(T('summary', 0, `Studies (${f.results.length})${withEffect ? ' and forest plot' : ''}`));
  const draw = () => {
    if (det.dataset.drawn) return;
    det.dataset.drawn = '1';
    const fp = withEffect || f.effect ? forest(f, det.clientWidth - 24) : null;
    if (fp) {
      det.append(h('div', { class: 'forest-wrap' }, fp.plot));
      det.append(h('p', { class: 'legend' }, '■ used in the estimate · □ listed, not counted again · ◆ estimate · dashed lines: MID',
        fp.other ? ` · ${fp.other} result${fp.other > 1 ? 's' : ''} on another scale not drawn` : ''));
    }
    const ul = h('ul', { class: 'study-results' });
    for (const r of f.results) {
      ul.append(h('li', {},
        link(withState({ study: r.record_id }), { 'data-key': 'study-link:' + r.record_id, text: r.label }),
        ` · ${DESIGN[r.design] || r.design} · ${DIRECTION[r.direction] || r.direction}`,
        r.participants ? ` · ${num(r.participants)} participants` : '',
        r.used_in_estimate ? T('span', 'tag', 'used in estimate') : null,
        r.stated_certainty ? T('span', 'tag', `${r.stated_certainty.system}: ${String(r.stated_certainty.level).replace(/_/g,' ')}`) : null,
        r.result_text && sub(r.result_text)));
    }
    det.append(ul);
  };
  det.addEventListener('toggle', () => det.open && draw());
  det.drawNow = draw;
  return det;
}

// ---------- facets, hits, paging ----------
function renderFacets(d, s) {
  const box = clear($('facets'));
  $('layout').hidden = !d.found && !hasFilters(s);
  const counts = Object.fromEntries((d.facet_counts || []).map((f) => [f.field, f.counts]));
  for (const field of FACETS) {
    const list = [...(counts[field] || [])];
    for (const v of s.filters[field]) if (!list.some((c) => c.value === v)) list.unshift({ value: v, label: label(v), count: 0 });
    if (!list.length) continue;
    const item = (c) => {
      const on = s.filters[field].includes(c.value);
      const next = withState({ page: 1 });
      next.filters[field] = on ? s.filters[field].filter((x) => x !== c.value) : [...s.filters[field], c.value];
      const text = field === 'design' ? c.label : s.view === 'patient' ? cap(label(c.value)) : c.label;
      return h('li', {}, link(next, { class: 'facet' + (on ? ' on' : ''), 'aria-current': on ? 'true' : null, 'data-key': `facet:${field}:${c.value}` },
        on && h('span', { 'aria-hidden': 'true', text: '✓ ' }), h('span', { class: 'fl', text }), ' ', h('span', { class: 'count' }, d.facet_counts_exact === false ? '≈' : '', num(c.count), sr(on ? ' studies, selected: click to remove' : ' studies'))));
    };
    const grp = h('div', { class: 'facet-group' }, T('h3', 0, FACET_TITLE[field]), h('ul', {}, list.slice(0, 6).map(item)));
    if (list.length > 6) grp.append(h('details', {}, h('summary', {}, `Show all ${list.length}`, sr(' ' + FACET_TITLE[field].toLowerCase() + ' values')), h('ul', {}, list.slice(6).map(item))));
    box.append(grp);
  }
  // Quality and year map to range parameters.
  const qc = Object.fromEntries((counts.quality || []).map((c) => [c.value, c.count]));
  const sel = h('select', { id: 'quality-min', 'data-key': 'quality-min' },
    [['', 'Any quality'], ['4', `Moderate or better (≥4/10)${qc.moderate != null || qc.high != null ? ` (${(qc.moderate || 0) + (qc.high || 0)})` : ''}`], ['7', `High (≥7/10)${qc.high != null ? ` (${qc.high})` : ''}`]]
      .map(([v, t]) => h('option', { value: v, selected: s.quality_min === v, text: t })));
  sel.addEventListener('change', () => go(withState({ quality_min: sel.value, page: 1 }), { focus: 'quality-min' }));
  box.append(h('div', { class: 'facet-group' }, h('h3', {}, h('label', { for: 'quality-min', text: 'Minimum quality' })), sel));
  const years = (counts.year || []).map((c) => +c.value).filter(Boolean);
  const yf = h('form', { class: 'years', 'aria-label': 'Publication years' },
    h('label', { for: 'ymin', text: 'From' }), h('input', { id: 'ymin', type: 'number', min: 1900, max: 2100, inputmode: 'numeric', value: s.year_min, placeholder: years.length ? Math.min(...years) : '' }),
    h('label', { for: 'ymax', text: 'to' }), h('input', { id: 'ymax', type: 'number', min: 1900, max: 2100, inputmode: 'numeric', value: s.year_max, placeholder: years.length ? Math.max(...years) : '' }),
    h('button', { type: 'submit', class: 'secondary', 'data-key': 'years', text: 'Apply' }));
  yf.addEventListener('submit', (e) => {
    e.preventDefault();
    const ok = (v) => (/^\d{4}$/.test(v) ? v : '');
    go(withState({ year_min: ok($('ymin').value), year_max: ok($('ymax').value), page: 1 }), { focus: 'years' });
  });
  box.append(h('div', { class: 'facet-group' }, T('h3', 0, 'Published'), yf));

  // Active filters, removable.
  const act = clear($('active'));
  for (const field of FACETS)
    for (const v of s.filters[field]) {
      const next = withState({ page: 1 });
      next.filters[field] = s.filters[field].filter((x) => x !== v);
      const name = (counts[field] || []).find((c) => c.value === v)?.label || label(v);
      act.append(h('li', {}, link(next, { class: 'chip', 'data-key': `rm:${field}:${v}` }, `${FACET_TITLE[field]}: ${name}`, h('span', { 'aria-hidden': 'true', text: ' ✕' }), sr(' (remove filter)'))));
    }
  for (const [k, t] of [['quality_min', 'Quality ≥'], ['year_min', 'From'], ['year_max', 'Until']])
    if (s[k]) act.append(h('li', {}, link(withState({ [k]: '', page: 1 }), { class: 'chip', 'data-key': 'rm:' + k }, `${t} ${s[k]}${k === 'quality_min' ? '/10' : ''}`, h('span', { 'aria-hidden': 'true', text: ' ✕' }), sr(' (remove filter)'))));
  if (act.children.length > 1) act.append(h('li', {}, link(clearAll(), { class: 'chip clear', text: 'Clear all filters' })));
  act.hidden = !act.children.length;

  const ex = clear($('export'));
  if (d.found) {
    const p = params(s, { page: false });
    ex.append('Download these ', plural(Math.min(d.found, 500), 'result'), ': ');
    [['ris', 'RIS'], ['bibtex', 'BibTeX'], ['csv', 'CSV']].forEach(([f, t], i) => {
      const q = new URLSearchParams(p);
      q.set('format', f);
      ex.append(i ? ' · ' : '', h('a', { href: '/api/export?' + q, download: '', class: 'export-' + f, text: t }));
    });
  }
}
function renderHits(d, s) {
  const ol = clear($('hits'));
  ol.setAttribute('start', String((d.page - 1) * d.per_page + 1));
  $('results-title').textContent = d.found ? `Studies (${num(d.found)})` : 'Studies';
  $('sort').disabled = !d.found;
  const patient = s.view === 'patient';
  if (d.found && !d.hits.length) ol.append(h('li', { class: 'notice' }, 'This page is past the last result. ', link(withState({ page: 1 }), { text: 'Go to the first page' })));
  for (const x of d.hits) {
    const q = x.quality || {};
    const li = h('li', { class: 'hit' + (x.retracted ? ' retracted' : '') },
      h('h3', { class: 'hit-title' }, link(withState({ study: x.id }), { 'data-key': 'hit:' + x.id, text: x.title || x.id })),
      h('p', { class: 'hit-meta' },
        x.year && T('span', 0, String(x.year)),
        x.journal && T('span', 'journal', x.journal),
        x.participants && T('span', 0, `${num(x.participants)} participants`)),
      h('p', { class: 'badges' },
        x.retracted && T('span', 'badge bad', 'Retracted'),
        T('span', 'badge design', (DESIGN[x.design] || x.design) + (x.meta_analysis ? ' with meta-analysis' : '')),
        x.evidence_level ? T('span', 'badge', `Evidence level ${x.evidence_level}`) : null,
        h('span', { class: 'badge q-' + qualityBand(q.score) }, q.score != null ? `Quality ${fmt(q.score, 1)}/10${q.estimated ? ' (estimated)' : ''}` : 'Quality not rated')),
      tags('Treatments', x.interventions), tags('Conditions', x.conditions));
    const text = patient && x.summary?.plain ? x.summary.plain : null;
    li.append(text ? h('p', { class: 'snippet', text }) : snippet(x.snippet));
    if (x.why?.length) li.append(h('details', { class: 'whyhit' }, T('summary', 0, 'Why this result'), h('ul', {}, x.why.map((w) => T('li', 0, w)))));
    ol.append(li);
  }
  renderPager(d, s);
}
const qualityBand = (v) => (v == null ? 'none' : v >= 7 ? 'high' : v >= 4 ? 'mod' : 'low');
function tags(title, ids) {
  if (!ids?.length) return null;
  return h('p', { class: 'tags' }, T('span', 'k', title + ': '), [...new Set(ids)].map((id) => T('span', 'tagv', label(id))));
}
function snippet(s) {
  const p = h('p', { class: 'snippet' });
  for (const part of snippetParts(s)) p.append(part.mark ? T('mark', 0, part.text) : document.createTextNode(part.text));
  return p;
}
function renderPager(d, s) {
  const nav = clear($('pager'));
  const pages = Math.min(Math.ceil(d.found / d.per_page), Math.floor(10000 / d.per_page));
  if (pages <= 1 || d.page > pages) return;
  const pg = (n, text, rel) => link(withState({ page: n }), { class: 'pg', rel, 'data-key': 'page:' + (rel || n), 'aria-label': rel ? `${text} page` : `Page ${n}`, text });
  const ul = h('ul');
  if (d.page > 1) ul.append(h('li', {}, pg(d.page - 1, 'Previous', 'prev')));
  const from = Math.max(1, Math.min(d.page - 2, pages - 4));
  for (let n = from; n <= Math.min(pages, from + 4); n++)
    ul.append(h('li', {}, n === d.page ? h('span', { class: 'pg cur', 'aria-current': 'page', text: String(n) }) : pg(n, String(n))));
  if (d.page < pages) ul.append(h('li', {}, pg(d.page + 1, 'Next', 'next')));
  nav.append(ul, T('p', 'muted', `Page ${d.page} of ${pages}`));
}

// ---------- study view ----------
async function renderStudy(s, focus, my) {
  const box = $('study');
  box.hidden = false;
  $('status').textContent = 'Loading the study…';
  let st;
  try {
    controller = new AbortController();
    st = await api('/api/studies/' + encodeURIComponent(s.study), controller.signal);
  } catch (e) {
    if (e.name === 'AbortError' || my !== seq) return;
    clear(box, backLink(), h('h2', { id: 'study-title', tabindex: '-1', text: 'Study not available' }));
    showError(e.message, () => render(state));
    $('status').textContent = 'The study could not be loaded.';
    return;
  }
  if (my !== seq) return;
  const patient = s.view === 'patient';
  const lab = st.concept_labels || {};
  const cl = (id) => (lab[id] ? (patient ? lab[id].plain : lab[id].preferred) : label(id));
  const origins = st.annotation?.origins || {};
  const from = (field) => origins[field] && h('span', { class: 'origin o-' + origins[field], title: 'Where this annotation came from', text: ORIGIN[origins[field]] || origins[field] });
  const b = st.brief || {};
  const q = b.quality || {};
  const linksOut = [['pubmed', 'PubMed'], ['doi', 'DOI'], ['clinicaltrials_gov', 'ClinicalTrials.gov'], ['pmc', 'PubMed Central']]
    .map(([k, t]) => safeUrl(st.links?.[k]) && h('a', { href: safeUrl(st.links[k]), class: 'out out-' + k, rel: 'noopener noreferrer', target: '_blank' }, t, sr(' (opens in a new tab)')));
  const sum = st.summary || {};
  const summaries = patient ? [['In plain language', sum.plain], ['For clinicians', sum.clinician]] : [['Summary', sum.clinician], ['In plain language', sum.plain]];
  const pop = st.population || {};
  const popBits = [pop.n_randomised && `${num(pop.n_randomised)} randomised`, pop.n_trials && plural(pop.n_trials, 'trial'), pop.n_participants && `${num(pop.n_participants)} participants`].filter(Boolean).join(', ');
  clear(box,
    backLink(),
    h('article', { class: 'study-body' },
      h('h2', { id: 'study-title', tabindex: '-1', text: st.title || st.id }),
      h('p', { class: 'hit-meta' }, st.authors?.length && T('span', 0, st.authors.join(', ') + (st.authors_complete === false ? ' et al.' : '')),
        T('span', 0, st.citation || [st.journal, st.year].filter(Boolean).join(' ')), T('span', 'muted', 'Record ' + st.id)),
      st.retracted && T('p', 'notice error', 'This publication has been retracted. Do not rely on its results.'),
      h('p', { class: 'badges' },
        T('span', 'badge design', st.design_label || DESIGN[st.design] || st.design),
        st.annotation?.evidence_level && T('span', 'badge', `Evidence level ${st.annotation.evidence_level}`),
        h('span', { class: 'badge q-' + qualityBand(q.score) }, q.score != null ? `Quality ${fmt(q.score, 1)}/10${q.estimated ? ' (estimated)' : ''}` : 'Quality not rated')),
      linksOut.some(Boolean) && h('p', { class: 'links-out' }, 'Read it at: ', linksOut.filter(Boolean).map((a, i) => [i ? ' · ' : '', a])),
      summaries.filter(([, t]) => t).map(([t, x]) => [T('h3', 0, t), T('p', 'lead', x)]),
      T('h3', 0, 'What was studied'),
      h('dl', { class: 'facts' },
        fact('Design', from('design'), st.design_label || DESIGN[st.design] || st.design, st.meta_analysis ? ' (with meta-analysis)' : ''),
        fact('Conditions', from('conditions'), (pop.conditions || []).map(cl).join(', ') || '—', pop.description && sub(pop.description)),
        fact('Duration', from('duration'), pop.duration || 'not stated'),
        fact('Sample size', from('sample_size'), popBits || (b.participants ? `${num(b.participants)} participants` : 'not stated')),
        fact('Treatments', from('interventions'), (st.interventions || []).map((a) => sub(`${a.label || ''} [${(a.concepts || []).map(cl).join(', ')}]`))),
        fact('Compared with', from('comparators'), (st.comparators || []).length ? st.comparators.map((a) => sub(`${a.label || ''} [${(a.kind || '').replace(/_/g,' ')}${a.concepts?.length ? ': ' + a.concepts.map(cl).join(', ') : ''}]`)) : 'not stated')),
      h('h3', {}, 'Results by outcome ', from('outcomes')),
      outcomesTable(st, cl),
      T('h3', 0, 'Quality and certainty'),
      qualityFacts(st, q),
      T('h3', 0, 'Annotation'),
      annotationFacts(st),
      st.abstract?.length && h('details', { class: 'abstract' }, T('summary', 0, 'Abstract'),
        st.abstract.map((p) => h('p', {}, p.label && T('strong', 0, p.label + ': '), p.text))),
      T('h3', 0, 'Provenance'),
      provenance(st)));
  $('status').textContent = `Study: ${st.title || st.id}`;
  if (focus !== 'none') $('study-title').focus();
}
function backLink() {
  const next = withState({ study: '' });
  const a = link(next, { class: 'back', text: '← Back to results' });
  a.addEventListener('click', (e) => {
    if (history.state?.fromResults && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      history.back();
    }
  });
  return a;
}
function fact(term, origin, ...value) {
  return [h('dt', {}, term, origin ? [' ', origin] : null), h('dd', {}, ...value)];
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
  const tb = h('tbody');
  for (const o of [...outs].sort((a, b) => String(a.domain).localeCompare(b.domain))) {
    tb.append(h('tr', {},
      h('th', { scope: 'row', 'data-label': 'Outcome' }, cl(o.domain), (o.instrument_label || o.instrument) && sub(o.instrument_label || cl(o.instrument)),
        T('span', 'time', o.time_label || TIME[o.time_point] || 'time point not stated')),
      h('td', { 'data-label': 'Compared with' }, (o.comparator || []).map(cl).join(', ') || (o.comparator_kind || '').replace(/_/g,' ')),
      h('td', { 'data-label': 'Result' }, T('strong', 0, cap(DIRECTION[o.direction] || o.direction || '')),
        o.effect && sub(effectText(o.effect)),
        (o.n_studies || o.n_participants) && sub([o.n_studies && plural(o.n_studies, 'study', 'studies'), o.n_participants && `${num(o.n_participants)} participants`].filter(Boolean).join(', ')),
        o.result_text && sub(o.result_text)),
      h('td', { 'data-label': 'Certainty' }, o.certainty
        ? [T('strong', 0, `${LEVEL_WORD[o.certainty.level] || String(o.certainty.level).replace(/_/g,' ')}`), sub(`System: ${String(o.certainty.system || 'not stated').replace(/_/g,' ')}`), o.certainty.statement && sub(o.certainty.statement)]
        : T('span', 'muted', 'not stated'))));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'outcomes' }, T('caption', 'sr-only', 'Results by outcome'),
    h('thead', {}, h('tr', {}, ['Outcome', 'Compared with', 'Result', 'Certainty'].map((t) => h('th', { scope: 'col', text: t })))), tb));
}
function qualityFacts(st, q) {
  const qq = st.quality || {};
  const rob = qq.risk_of_bias;
  return h('dl', { class: 'facts' },
    fact('Quality score', null, q.score != null ? `${fmt(q.score, 1)}/10 (${q.scale || '0-10'})${q.estimated ? ', estimated' : ''}` : 'not rated', st.annotation?.quality_basis && sub('Basis: ' + st.annotation.quality_basis)),
    qq.pedro && fact('PEDro', null, `${qq.pedro.score}/10`, qq.pedro.source && sub('Source: ' + qq.pedro.source)),
    rob && fact('Risk of bias', null, `${rob.tool}: ${String(rob.overall).replace(/_/g,' ')}`, (rob.domains || []).map((d) => sub(`${d.domain}: ${String(d.judgement).replace(/_/g,' ')}${d.support ? ' — ' + d.support : ''}`))),
    qq.grading_system && fact('Certainty system', null, qq.grading_system.replace(/_/g,' ')),
    qq.certainty_statement && fact('Certainty statement', null, qq.certainty_statement));
}
function annotationFacts(st) {
  const a = st.annotation || {};
  const origins = Object.entries(a.origins || {});
  return h('dl', { class: 'facts' },
    fact('Sources', null, (a.sources || []).join(', ') || '—'),
    origins.length && fact('Field origins', null, h('ul', { class: 'origins' }, origins.map(([k, v]) => h('li', {}, k.replace(/_/g,' ') + ': ', h('span', { class: 'origin o-' + v, text: ORIGIN[v] || v }))))),
    a.mesh_terms?.length && fact('MeSH terms', null, a.mesh_terms.join('; ')),
    a.keywords?.length && fact('Keywords', null, a.keywords.join('; ')),
    st.publication_types?.length && fact('Publication types', null, st.publication_types.join('; ')),
    st.language && fact('Language', null, st.language),
    fact('Identifiers', null, Object.entries(st.identifiers || {}).map(([k, v]) => sub(`${k.toUpperCase()}: ${[].concat(v).join(', ')}`))));
}
function provenance(st) {
  const p = st.provenance || {};
  return h('dl', { class: 'facts prov' },
    fact('Sources', null, h('ul', {}, (p.sources || []).map((u) => h('li', {}, safeUrl(u) ? h('a', { href: safeUrl(u), rel: 'noopener noreferrer', target: '_blank', text: u }) : u)))),
    p.unverified?.length && fact('Unverified', null, h('ul', { class: 'unverified' }, p.unverified.map((u) => h('li', {}, T('strong', 0, u.field), u.candidate ? ` (candidate ${u.candidate})` : '', ': ', u.note)))),
    p.secondary_source && fact('Secondary source', null, 'Yes: taken from a secondary source, not the original publication.'),
    p.notes && fact('Notes', null, p.notes),
    p.reference_row && fact('Reference row', null, p.reference_row));
}

// ---------- autocomplete ----------
function setupAutocomplete() {
  const input = $('q');
  const list = $('suggest');
  let items = [], active = -1, timer = 0, n = 0, range = null;
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    items = [];
    active = -1;
  };
  const show = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', 'opt-' + i);
    else input.removeAttribute('aria-activedescendant');
  };
  const choose = (i) => {
    const c = items[i];
    if (!c || !range) return;
    const term = /^[A-Z]{2}/.test(c.preferred) ? c.preferred : c.preferred[0].toLowerCase() + c.preferred.slice(1);
    const v = input.value;
    input.value = v.slice(0, range[0]) + term + ' ' + v.slice(range[1]).replace(/^\s+/, '');
    const pos = range[0] + term.length + 1;
    input.setSelectionRange(pos, pos);
    close();
    input.focus();
  };
  async function suggest() {
    const end = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, end);
    const words = before.split(/\s+/);
    if (/\s$/.test(before) || words[words.length - 1].length < 2) return close();
    const my = ++n;
    const tries = [3, 2, 1].filter((k) => k <= words.length).map((k) => words.slice(-k).join(' ')).filter((x, i, a) => a.indexOf(x) === i);
    let got;
    try {
      got = await Promise.all(tries.map((t) => api(`/api/vocabulary?limit=8&prefix=${encodeURIComponent(t)}`).then((d) => [t, d.concepts])));
    } catch {
      return close();
    }
    if (my !== n) return;
    const hit = got.find(([, cs]) => cs.length);
    if (!hit) return close();
    const patient = state.view === 'patient';
    items = hit[1].filter((c) => !patient || (c.kind !== 'instrument' && c.kind !== 'design')).slice(0, 8);
    if (!items.length) return close();
    range = [end - hit[0].length, end];
    clear(list, items.map((c, i) => h('li', { role: 'option', id: 'opt-' + i, 'aria-selected': 'false' },
      T('span', 'opt-main', patient ? cap(c.plain) : c.preferred),
      T('span', 'opt-sub', ` ${KIND[c.kind] || c.kind}${patient ? (c.plain.toLowerCase() !== c.preferred.toLowerCase() ? ' · ' + c.preferred : '') : c.abbreviations?.length ? ' · ' + c.abbreviations.join(', ') : ''}`))));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    show(-1);
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 120);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); show((active + 1) % items.length); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); show(active <= 0 ? items.length - 1 : active - 1); }
    else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); choose(active); }
    else if (e.key === 'Escape') { e.preventDefault(); close(); }
    else if (e.key === 'Tab') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  list.addEventListener('mousedown', (e) => {
    const li = e.target.closest('[role=option]');
    if (li) { e.preventDefault(); choose(+li.id.slice(4)); }
  });
  return close;
}

// ---------- wiring ----------
function init() {
  const closeSuggest = setupAutocomplete();
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    closeSuggest();
    const q = $('q').value.trim();
    ui.allGroups = ui.allCards = false;
    go(withState({ q, page: 1, study: '' }));
  });
  for (const b of document.querySelectorAll('[data-view]'))
    b.addEventListener('click', () => go(withState({ view: b.dataset.view }), { focus: 'view:' + b.dataset.view }));
  $('sort').addEventListener('change', () => go(withState({ sort: $('sort').value, page: 1 }), { focus: 'sort' }));
  $('sort').dataset.key = 'sort';
  $('home').addEventListener('click', (e) => {
    e.preventDefault();
    go({ ...readState({ search: '', hash: '' }), view: state.view });
  });
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-nav]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const next = readState(new URL(a.href));
    const fromResults = !state.study && !!next.study;
    const focus = a.dataset.key?.startsWith('page:') ? 'results' : a.dataset.key;
    if (!next.study && next.q !== state.q) ui.allGroups = ui.allCards = false;
    history.pushState({ fromResults, back: a.dataset.key }, '', urlFor(next));
    render(next, next.study ? null : focus);
  });
  addEventListener('popstate', () => {
    const next = readState();
    const prev = state.study;
    let focus = null;
    if (!next.study && prev) focus = document.querySelector(`[data-key="hit:${CSS.escape(prev)}"]`) ? 'hit:' + prev : 'summary';
    render(next, focus).then(() => focus === 'summary' && !document.querySelector(`[data-key="hit:${CSS.escape(prev)}"]`) && refocus('summary'));
  });
  // Print the summary with every finding's details open.
  let opened = [];
  addEventListener('beforeprint', () => {
    if (!state.study && cache.data && !(ui.allGroups && ui.allCards)) {
      ui.allGroups = ui.allCards = true;
      render(state); // synchronous: the data are cached
    }
    opened = [...document.querySelectorAll('#summary details:not([open])')];
    for (const d of opened) { d.drawNow?.(); d.open = true; }
  });
  addEventListener('afterprint', () => { for (const d of opened) d.open = false; });
  const mq = matchMedia('(max-width: 820px)');
  $('filters-box').open = !mq.matches;
  for (const b of document.querySelectorAll('[data-view]')) b.dataset.key = 'view:' + b.dataset.view;
  const s = readState();
  if (location.hash.startsWith('#/study/')) history.replaceState(null, '', urlFor(s));
  loadVocabulary().then(() => render(s));
}
init();
