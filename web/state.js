// The page's state lives in the URL (?q=…&design=…&view=patient&study=…); this module reads and
// writes it, holds the state being shown, and routes a new state to the renderer.
import { h } from './dom.js';

export const FACETS = ['design', 'intervention', 'condition', 'outcome'];
const PER_PAGE = 10;

export let state = null;
let renderer = null;

export function readState(loc = location) {
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
    // The findings behind "Show N more findings" shown, and the facets whose values are all shown.
    more: p.get('more') === '1',
    open: [...new Set(p.getAll('open').flatMap((v) => v.split(',')))].filter((f) => FACETS.includes(f)),
    filters: {},
  };
  for (const f of FACETS) s.filters[f] = [...new Set(p.getAll(f).flatMap((v) => v.split(',')).filter(Boolean))];
  const m = /^#\/study\/([\w.:-]{1,64})$/.exec(loc.hash);
  if (m) s.study = decodeURIComponent(m[1]);
  return s;
}

// The query string of a state: for the page's URL, or (api) for /api/search and /api/export.
export function params(s, { api = false, page = true } = {}) {
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
    if (s.more) p.set('more', '1');
    if (s.open?.length) p.set('open', s.open.join(','));
  }
  return p;
}

export function urlFor(s) {
  const p = params(s).toString();
  return location.pathname + (p ? '?' + p : '');
}

export const withState = (patch) => ({ ...state, filters: { ...state.filters }, open: [...(state.open || [])], ...patch });
export const emptyFilters = () => Object.fromEntries(FACETS.map((f) => [f, []]));
export const hasFilters = (s) =>
  FACETS.some((f) => s.filters[f].length) || s.year_min || s.year_max || s.quality_min;
export const clearAll = () =>
  withState({ filters: emptyFilters(), year_min: '', year_max: '', quality_min: '', page: 1 });

// The page's renderer: render(state, focus) -> Promise.
export function setRenderer(render) {
  renderer = render;
}

// Shows a state (without touching the history); focus names the control to focus afterwards.
export function show(next, focus) {
  state = next;
  return renderer(next, focus);
}

// Records a change of the page that needs no new render (a shown region) in the URL, in place.
export function remember(patch) {
  Object.assign(state, patch);
  history.replaceState(history.state, '', urlFor(state));
}

// Renders the current state again (after "Try again", "Show more", or before printing).
export const rerender = (focus) => show(state, focus);

// Shows a state as a new history entry.
export function go(next, { focus = null } = {}) {
  history.pushState({ focus }, '', urlFor(next));
  show(next, focus);
}

// A link to a state; the click handler in app.js routes it without a page load.
export function link(next, props, ...kids) {
  return h('a', { ...props, href: urlFor(next), 'data-nav': '' }, ...kids);
}
