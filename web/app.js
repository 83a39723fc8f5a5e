// backpain-evidence web page: plain ES modules, no framework, no build step. This module renders
// a state of the page (state.js keeps it in the URL) and wires the page up at startup. Every
// string from a record is put in the page as text (dom.js); the snippet is split into text and
// <mark> runs (safe.js).
import { $, clear } from './dom.js';
import { num, plural, studies } from './format.js';
import { api, fetchLatest, isStale, newRender } from './api.js';
import { loadVocabulary } from './labels.js';
import {
  state, readState, params, urlFor, withState, hasFilters, clearAll, setRenderer, show, rerender, go, link,
} from './state.js';
import { showError } from './notices.js';
import { renderWelcome, exampleLinks } from './welcome.js';
import { renderSummary, noneMatched } from './summary.js';
import { renderFacets, renderHits } from './results.js';
import { renderStudy } from './study.js';
import { setupAutocomplete } from './suggest.js';
import { setupPhone } from './phone.js';
import { renderFollow } from './follow.js';

let cache = { key: '', data: null }; // the last search's answer

// Renders state s: the study, the start page, or the results of a search. focus names the control
// to focus afterwards (a data-key, 'results' or 'summary').
async function render(s, focus) {
  const token = newRender();
  const startFocus = document.activeElement;
  renderChrome(s);
  if (s.study) {
    $('results-view').hidden = true;
    clear($('welcome')).hidden = true;
    await renderStudy(s, token);
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
  // From the cache, the results render synchronously.
  const data = (cache.key === key && cache.data) || await search(s, key, token);
  if (!data) return;
  const active = document.activeElement?.dataset?.key;
  renderSummary(data, s);
  renderFollow(s);
  renderFacets(data, s);
  renderHits(data, s);
  announce(data, s);
  // Restore focus to the control that was re-rendered, unless the reader has moved on.
  const now = document.activeElement;
  if (now === startFocus || now === document.body || !now?.isConnected) refocus(focus || active);
}

// The parts outside the views: view buttons, search box, examples, sort, error box, title.
function renderChrome(s) {
  const patient = s.view === 'patient';
  document.body.className = 'view-' + s.view;
  for (const b of document.querySelectorAll('[data-view]')) {
    b.setAttribute('aria-pressed', String(b.dataset.view === s.view));
  }
  $('q-label').textContent = patient
    ? 'What would you like to know about back pain treatment?'
    : 'Search the evidence: treatment, condition, outcome';
  const q = $('q');
  if (document.activeElement !== q || !q.value) q.value = s.q;
  q.placeholder = patient ? 'e.g. does acupuncture help my back' : 'e.g. electrotherapy chronic LBP efficacy';
  clear($('examples'), exampleLinks(s.view, 3));
  $('q-hint').hidden = false; // hidden in the HTML: without scripts there are no examples to list
  $('sort').value = s.sort;
  clear($('error'));
  $('status').classList.remove('sr-only');
  document.title = (s.study ? 'Study · ' : s.q ? s.q + ' · ' : '') + 'Back pain evidence';
}

// Fetches the results for the API query key; null when it failed (the error is shown) or when a
// newer render has started.
async function search(s, key, token) {
  const view = $('results-view');
  view.setAttribute('aria-busy', 'true');
  $('status').textContent = 'Searching…';
  let data;
  try {
    data = await fetchLatest('/api/search?' + key);
    if (s.filters.design.length) await designCounts(s, data);
  } catch (e) {
    if (e.name === 'AbortError' || isStale(token)) return null;
    view.removeAttribute('aria-busy');
    view.hidden = true;
    $('status').textContent = 'The search was not run.';
    showError(e, { retry: () => rerender(), extra: hasFilters(s) && [' or ', link(clearAll(), { text: 'remove all filters' })] });
    return null;
  }
  if (isStale(token)) return null;
  view.removeAttribute('aria-busy');
  cache = { key, data };
  return data;
}

// Designs are chosen together (any of them): their counts are those of the search without the
// design filter, so choosing one design does not hide the others.
async function designCounts(s, data) {
  const p = params({ ...s, filters: { ...s.filters, design: [] }, page: 1 }, { api: true });
  p.set('per_page', '1');
  const all = await api('/api/search?' + p);
  const counts = all.facet_counts?.find((f) => f.field === 'design');
  if (!counts) return;
  data.facet_counts = [...(data.facet_counts || []).filter((f) => f.field !== 'design'), counts];
}

function refocus(key) {
  if (!key) return;
  const t = document.querySelector(`[data-key="${CSS.escape(key)}"]`)
    || { results: $('results-title'), summary: $('summary-title') }[key];
  if (!t) return;
  if (!t.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|SUMMARY)$/.test(t.tagName)) {
    t.setAttribute('tabindex', '-1');
  }
  t.focus();
}

// The status line read out by screen readers.
function announce(d, s) {
  const findings = d.summary?.findings || [];
  const lines = d.summary?.bottom_lines || [];
  let t;
  // Nothing found: the summary's heading says so on screen; the status line only tells screen readers.
  $('status').classList.toggle('sr-only', !d.found);
  if (!d.found) t = noneMatched(s) + '.';
  else if (!d.hits.length) t = `${studies(d.found)} found; this page is past the last result.`;
  else {
    const from = (d.page - 1) * d.per_page + 1;
    const to = Math.min(d.found, from + d.hits.length - 1);
    t = `${d.found_exact === false ? 'About ' : ''}${studies(d.found)} found. Showing ${num(from)} to ${num(to)}.`;
    if (lines.length) t += ` Bottom line for ${plural(lines.length, 'treatment')}.`;
    if (findings.length && s.view !== 'patient') {
      const top = d.summary.headline_count ?? findings.length;
      t += ` Graded summary: ${plural(findings.length, 'finding')}${top < findings.length ? `, ${num(top)} shown first` : ''}.`;
    }
  }
  $('status').textContent = t;
}

// ---------- wiring ----------
function wireControls() {
  const closeSuggest = setupAutocomplete();
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    closeSuggest();
    const q = $('q').value.trim();
    go(withState({ q, page: 1, study: '', more: false }));
  });
  for (const b of document.querySelectorAll('[data-view]')) {
    b.addEventListener('click', () => go(withState({ view: b.dataset.view }), { focus: 'view:' + b.dataset.view }));
  }
  $('sort').addEventListener('change', () => go(withState({ sort: $('sort').value, page: 1 }), { focus: 'sort' }));
  $('sort').dataset.key = 'sort';
  $('home').addEventListener('click', (e) => {
    e.preventDefault();
    go({ ...readState({ search: '', hash: '' }), view: state.view });
  });
}

// Links to states (a[data-nav]) and the browser's back and forward change the state without a load.
function wireNavigation() {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-nav]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    const next = readState(new URL(a.href));
    const fromResults = !state.study && !!next.study;
    const focus = a.dataset.key?.startsWith('page:') ? 'results' : a.dataset.key;
    if (!next.study && next.q !== state.q) next.more = false;
    history.pushState({ fromResults, back: a.dataset.key }, '', urlFor(next));
    show(next, next.study ? null : focus);
  });
  addEventListener('popstate', () => {
    const next = readState();
    const prev = state.study;
    const hitOf = () => document.querySelector(`[data-key="hit:${CSS.escape(prev)}"]`);
    // Back from a study: focus its hit, or the summary when the hit is not on the page.
    let focus = null;
    if (!next.study && prev) focus = hitOf() ? 'hit:' + prev : 'summary';
    show(next, focus).then(() => focus === 'summary' && !hitOf() && refocus('summary'));
  });
}

// Print the summary with every finding shown and its details open.
function wirePrint() {
  let opened = [];
  let revealed = [];
  addEventListener('beforeprint', () => {
    revealed = [...document.querySelectorAll('#summary [data-more][hidden]')];
    for (const r of revealed) r.hidden = false;
    opened = [...document.querySelectorAll('#summary details:not([open])')];
    for (const d of opened) {
      d.drawNow?.();
      d.open = true;
    }
  });
  addEventListener('afterprint', () => {
    for (const d of opened) d.open = false;
    for (const r of revealed) r.hidden = true;
  });
}

function init() {
  setRenderer(render);
  wireControls();
  wireNavigation();
  wirePrint();
  setupPhone();
  for (const b of document.querySelectorAll('[data-view]')) b.dataset.key = 'view:' + b.dataset.view;
  const s = readState();
  if (location.hash.startsWith('#/study/')) history.replaceState(null, '', urlFor(s));
  loadVocabulary().then(() => show(s));
}

init();
