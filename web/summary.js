// The answer first: how the question was understood and the bottom line of each treatment asked
// about (#summary); then (#findings-box, after the studies on a phone) the graded findings as
// summary-of-findings tables (clinician view: the comparison the question named, or else the most
// relevant one, open; the other comparisons collapsed) or one card per treatment (patient view);
// the headline findings first, the rest behind a "Show N more findings" button (kept in the URL);
// last, the studies found but not appraised.
import { $, h, T, clear, append } from './dom.js';
import { cap, plural } from './format.js';
import { kindLabel } from './labels.js';
import { withState, hasFilters, clearAll, link, remember } from './state.js';
import { safetyOnce, disclaimer } from './notices.js';
import { exampleLinks } from './welcome.js';
import { treatmentCard, plainFinding, dotsHelp } from './cards.js';
import { sofTable, comparisonTitle } from './sof.js';
import { findingIds } from './finding.js';
import { bottomLines } from './bottomline.js';
import { unappraisedList } from './unappraised.js';

export function renderSummary(d, s) {
  const box = $('summary');
  const details = clear($('findings-box'));
  details.hidden = true;
  const sum = d.summary || {};
  const findings = sum.findings || [];
  const messages = sum.messages || [];
  box.hidden = false;
  const patient = s.view === 'patient';
  // Nothing found: the heading is the one message (the status line says it to screen readers
  // only, and the summary's own messages about naming a treatment are not added to it).
  const title = !d.found ? noneMatched(s) : patient ? 'What the research says' : 'Graded summary of findings';
  const head = h('div', { class: 'summary-head' },
    h('h2', { id: 'summary-title', text: title }),
    findings.length && h('button', {
      type: 'button', class: 'secondary noprint', onclick: () => window.print(), text: 'Print summary',
    }));
  clear(box, head, T('p', 'print-only', `Search: “${s.q}” · ${location.href}`),
    d.found && skipToStudies(),
    understood(d.query, s), patient && safetyOnce('q:' + s.q),
    d.found && messages.map((m) => T('p', 'notice', m)));
  if (!d.found) {
    box.append(noResults(d, s));
    return;
  }
  const ids = findingIds(findings);
  const idOf = (key) => ids.get(key);
  const block = findings.length ? findingsBlock(findings, idOf, { patient, s, d }) : null;
  const target = (key) => (block && ids.has(key) && block.querySelector('#' + ids.get(key))) || null;
  const byKey = new Map(findings.map((f) => [f.key, f]));
  append(box, bottomLines(sum.bottom_lines || [], { patient, byKey, target, labelOf: recordLabels(d) }));
  if (!block && !messages.length) box.append(T('p', 'notice', noFindings(patient)));
  const unappraised = unappraisedList(sum.unappraised, patient);
  if (block || unappraised) {
    details.hidden = false;
    append(details, h('h2', { id: 'findings-title', text: patient ? 'Each treatment' : 'Summary of findings' }),
      block, unappraised);
  }
}

// On a phone the studies follow the bottom line; this link goes straight to them anywhere.
function skipToStudies() {
  return h('a', {
    href: '#results-title', class: 'skip-studies noprint',
    onclick: (e) => {
      e.preventDefault();
      const t = $('results-title');
      t.setAttribute('tabindex', '-1');
      t.scrollIntoView({ block: 'start' });
      t.focus({ preventScroll: true });
    },
  }, 'Skip to studies');
}

const noFindings = (patient) => (patient
  ? 'We could not find study results to summarise for this question. Try naming a treatment, such as exercise or '
    + 'acupuncture.'
  : 'No graded findings for this question. Name a treatment (and a condition) to get a summary of findings.');

// What drove the search: the concepts the server recognised, the question's own words it
// searched for, the misspellings it read as other words, and whether several treatments were
// relaxed to any one of them (docs/RANKING.md).
function understood(query, s) {
  const parsed = query?.parsed;
  const patient = s.view === 'patient';
  const cs = [...new Map((parsed?.concepts || []).map((c) => [c.id, c])).values()];
  const words = (parsed?.free_text || '').replace(/\b(AND|OR|NOT)\b/g, ' ').replace(/"/g, ' ').trim()
    .split(/\s+/).filter(Boolean);
  const fixes = parsed?.corrections || [];
  const lines = [];
  if (cs.length) {
    lines.push(h('p', { class: 'understood' }, patient ? 'About: ' : 'Question understood as: ',
      cs.map((c, i) => [i ? ' · ' : '', h('span', { class: 'concept' }, patient ? c.plain : c.preferred,
        T('span', 'kind', ` (${parsed.comparators?.includes(c.id) ? 'comparator' : kindLabel(c.kind)})`))])));
  }
  if (words.length) {
    const lead = cs.length ? (patient ? 'Also looked for the words: ' : 'Also searched for the words: ')
      : (patient ? 'We looked for the words: ' : 'No treatment recognised; searched for the words: ');
    lines.push(h('p', { class: 'understood words' }, lead,
      words.map((w, i) => [i ? ', ' : '', T('q', 0, w)])));
  }
  if (fixes.length) {
    lines.push(h('p', { class: 'understood corrections' },
      fixes.map((f, i) => [i ? '; ' : '', 'read ', T('q', 0, f.typed), ' as ', T('q', 0, f.read)]), '.'));
  }
  if (query?.treatments_relaxed) {
    lines.push(T('p', 'notice', patient
      ? 'No study looked at these treatments together, so these are studies of any one of them.'
      : 'No record studies all of the treatments named together; showing records of any of them, those with '
        + 'more of them first.'));
  }
  const dym = query?.did_you_mean;
  if (dym) lines.push(h('p', { class: 'understood' }, 'Did you mean ', link(withState({ q: dym, page: 1 }), { text: dym }), '?'));
  return lines.length ? lines : null;
}

export const noneMatched = (s) => `No studies matched${s.q ? ` “${s.q}”` : ''}${hasFilters(s) ? ' with these filters' : ''}`;

function noResults(d, s) {
  const tips = h('ul', {},
    T('li', 0, 'Check the spelling, or use fewer or broader words (for example “exercise” instead of a named '
      + 'programme).'),
    hasFilters(s) && h('li', {}, link(clearAll(), { text: 'Remove all filters' })),
    h('li', {}, 'Try: ', exampleLinks(s.view)));
  return h('div', { class: 'notice empty' }, T('p', 0, 'What you can try:'), tips);
}

function groupBy(list, keyOf) {
  const m = new Map();
  for (const x of list) {
    const k = keyOf(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k).push(x);
  }
  return [...m.values()];
}

// A record's short label ("Khadilkar 2008") from the findings and the not-appraised list; its id
// when neither has it.
function recordLabels(d) {
  const labels = new Map();
  for (const f of d.summary?.findings || []) for (const r of f.results) labels.set(r.record_id, r.label);
  for (const u of d.summary?.unappraised || []) if (u.label) labels.set(u.record_id, u.label);
  return (id) => labels.get(id) || id;
}

// The headline findings, then the rest in a region behind the "more" button (patients: findings
// with a usable result only).
function findingsBlock(findings, idOf, { patient, s, d }) {
  const usable = patient ? findings.filter((f) => !f.thin) : findings;
  let top = usable.filter((f) => f.headline);
  let rest = usable.filter((f) => !f.headline);
  if (!top.length) [top, rest] = [rest, []];
  const named = namedComparison(d.query?.parsed, d.summary?.bottom_lines || [], findings);
  const block = h('div', { class: 'findings' });
  if (patient) {
    block.append(h('div', { class: 'cards' }, groupBy(top, (f) => f.intervention.id)
      .map((g) => treatmentCard(g, idOf, 'top', { all: findings, asked: d.query?.parsed?.interventions || [], s }))));
  } else {
    const groups = groupBy(top, comparisonKey);
    const first = groups.filter((g) => named(g[0]));
    const others = groups.filter((g) => !named(g[0]));
    block.append(...(first.length ? first : others.splice(0, 1)).map((g) => sofTable(g, idOf, 'top', findings)));
    if (others.length) {
      block.append(h('div', { class: 'other-comparisons' },
        T('h3', 0, `Other comparisons (${others.length})`),
        others.map((g) => h('details', { class: 'comparison' },
          h('summary', {}, comparisonTitle(g[0]), T('span', 'sub', ` · ${plural(g.length, 'finding')}`)),
          sofTable(g, idOf, 'top', findings)))));
    }
  }
  if (rest.length) {
    const render = (list) => (patient
      ? h('div', { class: 'cards' }, groupBy(list, (f) => f.intervention.id).map((g) => h('article', { class: 'card more-card',
        'aria-label': `${cap(g[0].intervention.plain)}: more results` }, h('ul', { class: 'plain-findings' },
        g.map((f) => plainFinding(f, idOf(f.key)))))))
      : groupBy(list, comparisonKey).map((g) => sofTable(g, idOf, 'more', findings)));
    const region = h('div', {
      id: 'more-findings', class: 'more-findings', role: 'region', 'aria-label': 'More findings', 'data-more': '',
      hidden: !s.more,
    }, render(rest));
    block.append(moreButton(rest.length, region), region);
  }
  if (patient) block.append(disclaimer(), dotsHelp());
  return block;
}

// Whether a finding is of the comparison the question named ("TENS vs sham": placebo or sham;
// "surgery vs physiotherapy": physiotherapy). Without a named comparator: the comparison of the
// first bottom line's leading finding.
function namedComparison(parsed, lines, findings) {
  // The server's reading of the question: the comparator concepts named, and the kinds they
  // stand for (a named treatment is 'active', which only its concepts can match).
  const asked = new Set(parsed?.comparators || []);
  const kinds = new Set((parsed?.comparator_kinds || []).filter((k) => k !== 'active'));
  if (asked.size || kinds.size) {
    return (f) => (f.comparator.concepts || []).some((c) => asked.has(c)) || kinds.has(f.comparator.kind);
  }
  const lead = findings.find((f) => f.key === lines[0]?.finding_keys?.[0]);
  return (f) => !!lead && comparisonKey(f) === comparisonKey(lead);
}

// One table per comparison: the treatment against one comparator (or one add-on design).
const comparisonKey = (f) =>
  [f.intervention.id, f.comparator.kind, f.comparator.label, f.comparator.add_on?.label || ''].join('|');

// Shows or hides the findings behind "more"; kept in the URL (more=1).
function moreButton(n, region) {
  const text = () => `${region.hidden ? 'Show' : 'Hide'} ${plural(n, 'more finding')}`;
  const b = h('button', {
    type: 'button', class: 'secondary more noprint', 'data-key': 'more-findings', 'aria-controls': region.id,
    'aria-expanded': String(!region.hidden), text: text(),
  });
  b.addEventListener('click', () => {
    region.hidden = !region.hidden;
    remember({ more: !region.hidden });
    b.setAttribute('aria-expanded', String(!region.hidden));
    b.textContent = text();
  });
  return b;
}
