// The result list: facets and active filters, export links, the hits and the pager.
import { snippetParts } from './safe.js';
import { $, h, T, sr, clear } from './dom.js';
import { cap, fmt, num, plural } from './format.js';
import { FACET_TITLE, designLabel, label } from './labels.js';
import { FACETS, state, params, withState, hasFilters, clearAll, go, link, remember } from './state.js';
import { hitHowFound } from './howfound.js';

export function renderFacets(d, s) {
  const box = clear($('facets'));
  $('layout').hidden = !d.found && !hasFilters(s);
  const counts = Object.fromEntries((d.facet_counts || []).map((f) => [f.field, f.counts]));
  for (const field of FACETS) {
    const group = facetGroup(d, s, field, counts[field] || []);
    if (group) box.append(group);
  }
  // Quality and year map to range parameters.
  box.append(qualityGroup(s, counts.quality || []), yearsGroup(s, counts.year || []));
  renderActive(s, counts);
  const n = $('active').querySelectorAll('a.chip:not(.clear)').length;
  $('filters-open').textContent = n ? `Filters (${n})` : 'Filters';
  renderExport(d, s);
}

// A facet's values (selected ones first, even without results): six shown, the rest folded.
function facetGroup(d, s, field, counted) {
  const list = [...counted];
  for (const v of s.filters[field]) {
    if (!list.some((c) => c.value === v)) list.unshift({ value: v, label: label(v, s.view), count: 0 });
  }
  if (!list.length) return null;
  const item = (c) => facetItem(d, s, field, c);
  const title = FACET_TITLE[field] + (field === 'design' ? ' (choose any)' : '');
  const group = h('div', { class: 'facet-group' }, T('h3', 0, title), h('ul', {}, list.slice(0, 6).map(item)));
  if (list.length > 6) {
    // "Show all" is kept in the URL (open=field).
    const det = h('details', { open: s.open.includes(field) },
      h('summary', { 'data-key': 'open:' + field }, `Show all ${list.length}`, sr(' ' + FACET_TITLE[field].toLowerCase() + ' values')),
      h('ul', {}, list.slice(6).map(item)));
    det.addEventListener('toggle', () => {
      const open = state.open.filter((f) => f !== field);
      remember({ open: det.open ? [...open, field] : open });
    });
    group.append(det);
  }
  return group;
}

// A facet value: a link that adds it to the filters, or removes it when selected.
function facetItem(d, s, field, c) {
  const on = s.filters[field].includes(c.value);
  const next = withState({ page: 1 });
  next.filters[field] = on ? s.filters[field].filter((x) => x !== c.value) : [...s.filters[field], c.value];
  const text = field === 'design' ? c.label : s.view === 'patient' ? cap(label(c.value, s.view)) : c.label;
  const count = h('span', { class: 'count' }, d.facet_counts_exact === false ? '≈' : '', num(c.count),
    sr(on ? ' studies, selected: click to remove' : ' studies'));
  const props = {
    class: 'facet' + (on ? ' on' : ''),
    'aria-current': on ? 'true' : null,
    'data-key': `facet:${field}:${c.value}`,
  };
  const tick = on && h('span', { 'aria-hidden': 'true', text: '✓ ' });
  return h('li', {}, link(next, props, tick, h('span', { class: 'fl', text }), ' ', count));
}

function qualityGroup(s, counted) {
  const qc = Object.fromEntries(counted.map((c) => [c.value, c.count]));
  const moderateOrBetter = qc.moderate != null || qc.high != null ? (qc.moderate || 0) + (qc.high || 0) : null;
  const n = (count) => (count != null ? ` (${count})` : '');
  const options = [
    ['', 'Any quality'],
    ['4', `Moderate or better (≥4/10)${n(moderateOrBetter)}`],
    ['7', `High (≥7/10)${n(qc.high)}`],
  ];
  const sel = h('select', { id: 'quality-min', 'data-key': 'quality-min' },
    options.map(([v, t]) => h('option', { value: v, selected: s.quality_min === v, text: t })));
  sel.addEventListener('change', () => go(withState({ quality_min: sel.value, page: 1 }), { focus: 'quality-min' }));
  const title = h('h3', {}, h('label', { for: 'quality-min', text: 'Minimum quality' }));
  return h('div', { class: 'facet-group' }, title, sel);
}

// Years: applied when a box changes (no button); the placeholders say what an empty box means,
// and the range of the years found is said beside them, not written as if it were a value.
function yearsGroup(s, counted) {
  const years = counted.map((c) => +c.value).filter(Boolean);
  const apply = () => {
    const ok = (v) => (/^\d{4}$/.test(v) ? v : '');
    const next = { year_min: ok($('ymin').value), year_max: ok($('ymax').value) };
    if (next.year_min === s.year_min && next.year_max === s.year_max) return;
    go(withState({ ...next, page: 1 }), { focus: document.activeElement?.dataset?.key || 'ymin' });
  };
  const input = (id, value, placeholder) => {
    const i = h('input', {
      id, type: 'number', min: 1900, max: 2100, inputmode: 'numeric', value, placeholder, 'data-key': id,
      'aria-describedby': years.length ? 'years-found' : null,
    });
    i.addEventListener('change', apply);
    return i;
  };
  const form = h('form', { class: 'years', 'aria-label': 'Publication years' },
    h('label', { for: 'ymin', text: 'From' }), input('ymin', s.year_min, 'any'),
    h('label', { for: 'ymax', text: 'to' }), input('ymax', s.year_max, 'any'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply();
  });
  const found = years.length
    && h('p', { id: 'years-found', class: 'sub' }, `Studies found: ${Math.min(...years)} to ${Math.max(...years)}`);
  return h('div', { class: 'facet-group' }, T('h3', 0, 'Published'), form, found);
}

// Active filters as removable chips.
function renderActive(s, counts) {
  const act = clear($('active'));
  for (const field of FACETS) {
    for (const v of s.filters[field]) {
      const next = withState({ page: 1 });
      next.filters[field] = s.filters[field].filter((x) => x !== v);
      const name = (counts[field] || []).find((c) => c.value === v)?.label || label(v, s.view);
      act.append(chip(next, `rm:${field}:${v}`, `${FACET_TITLE[field]}: ${name}`));
    }
  }
  for (const [k, t] of [['quality_min', 'Quality ≥'], ['year_min', 'From'], ['year_max', 'Until']]) {
    const text = `${t} ${s[k]}${k === 'quality_min' ? '/10' : ''}`;
    if (s[k]) act.append(chip(withState({ [k]: '', page: 1 }), 'rm:' + k, text));
  }
  if (act.children.length > 1) {
    act.append(h('li', {}, link(clearAll(), { class: 'chip clear', text: 'Clear all filters' })));
  }
  act.hidden = !act.children.length;
}

const chip = (next, key, text) => h('li', {}, link(next, { class: 'chip', 'data-key': key }, text,
  h('span', { 'aria-hidden': 'true', text: ' ✕' }), sr(' (remove filter)')));

// Downloads for reference managers: clinician view only (patients get no clinician tools).
function renderExport(d, s) {
  const ex = clear($('export'));
  ex.hidden = !d.found || s.view === 'patient';
  if (ex.hidden) return;
  const p = params(s, { page: false });
  ex.append('Download these ', plural(Math.min(d.found, 500), 'result'), ': ');
  [['ris', 'RIS'], ['bibtex', 'BibTeX'], ['csv', 'CSV']].forEach(([f, t], i) => {
    const q = new URLSearchParams(p);
    q.set('format', f);
    ex.append(i ? ' · ' : '', h('a', { href: '/api/export?' + q, download: '', class: 'export-' + f, text: t }));
  });
}

export function renderHits(d, s) {
  const ol = clear($('hits'));
  ol.setAttribute('start', String((d.page - 1) * d.per_page + 1));
  $('results-title').textContent = d.found ? `Studies (${num(d.found)})` : 'Studies';
  $('sort').disabled = !d.found;
  if (d.found && !d.hits.length) {
    ol.append(h('li', { class: 'notice' }, 'This page is past the last result. ',
      link(withState({ page: 1 }), { text: 'Go to the first page' })));
  }
  for (const x of d.hits) ol.append(hit(x, s.view));
  renderPager(d);
}

function hit(x, view) {
  const title = link(withState({ study: x.id }), { 'data-key': 'hit:' + x.id, text: x.title || x.id });
  const li = h('li', { class: 'hit' + (x.retracted ? ' retracted' : '') },
    h('h3', { class: 'hit-title' }, title),
    h('p', { class: 'hit-meta' },
      x.year && T('span', 0, String(x.year)),
      x.journal && T('span', 'journal', x.journal),
      x.participants && T('span', 0, `${num(x.participants)} participants`)),
    h('p', { class: 'badges' },
      x.retracted && T('span', 'badge bad', 'Retracted'),
      T('span', 'badge design', designLabel(x.design) + (x.meta_analysis ? ' with meta-analysis' : '')),
      // Levels and scores are clinician tools; the patient view names the design in words only.
      view !== 'patient' && x.evidence_level ? T('span', 'badge', `Evidence level ${x.evidence_level}`) : null,
      view !== 'patient' && qualityBadge(x.quality || {})),
    tags('Treatments', x.interventions, view), tags('Conditions', x.conditions, view));
  const text = view === 'patient' && x.summary?.plain ? x.summary.plain : null;
  li.append(text ? h('p', { class: 'snippet', text }) : snippet(x.snippet));
  const how = view !== 'patient' && hitHowFound(x.why);
  if (how) li.append(how);
  return li;
}

// The band is the server's (core quality_band_of); its classes are q-high, q-mod, q-low, q-none.
const BAND_CLASS = { high: 'high', moderate: 'mod', low: 'low' };

// The quality badge of a hit or a study (q: { score, estimated }).
export const qualityBadge = (q) => h('span', { class: 'badge q-' + (BAND_CLASS[q.band] || 'none') },
  q.score != null ? `Quality ${fmt(q.score, 1)}/10${q.estimated ? ' (estimated)' : ''}` : 'Quality not rated');

function tags(title, ids, view) {
  if (!ids?.length) return null;
  const values = [...new Set(ids)].map((id) => T('span', 'tagv', label(id, view)));
  return h('p', { class: 'tags' }, T('span', 'k', title + ': '), values);
}

function snippet(s) {
  const p = h('p', { class: 'snippet' });
  for (const part of snippetParts(s)) {
    p.append(part.mark ? T('mark', 0, part.text) : document.createTextNode(part.text));
  }
  return p;
}

function renderPager(d) {
  const nav = clear($('pager'));
  const pages = Math.min(Math.ceil(d.found / d.per_page), Math.floor(10000 / d.per_page));
  if (pages <= 1 || d.page > pages) return;
  const pg = (n, text, rel) => link(withState({ page: n }),
    { class: 'pg', rel, 'data-key': 'page:' + (rel || n), 'aria-label': rel ? `${text} page` : `Page ${n}`, text });
  const ul = h('ul');
  if (d.page > 1) ul.append(h('li', {}, pg(d.page - 1, 'Previous', 'prev')));
  const from = Math.max(1, Math.min(d.page - 2, pages - 4));
  for (let n = from; n <= Math.min(pages, from + 4); n++) {
    const item = n === d.page
      ? h('span', { class: 'pg cur', 'aria-current': 'page', text: String(n) })
      : pg(n, String(n));
    ul.append(h('li', {}, item));
  }
  if (d.page < pages) ul.append(h('li', {}, pg(d.page + 1, 'Next', 'next')));
  nav.append(ul, T('p', 'muted', `Page ${d.page} of ${pages}`));
}
