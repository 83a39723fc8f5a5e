// The summary above the results: how the question was understood, then the graded findings as
// summary-of-findings tables (clinician view) or one card per treatment (patient view).
import { $, h, T, clear } from './dom.js';
import { kindLabel } from './labels.js';
import { withState, hasFilters, clearAll, link, ui, rerender } from './state.js';
import { safety, disclaimer } from './notices.js';
import { exampleLinks } from './welcome.js';
import { treatmentCard, dotsHelp } from './cards.js';
import { sofTable } from './sof.js';

export function renderSummary(d, s) {
  const box = $('summary');
  const findings = d.summary?.findings || [];
  const messages = d.summary?.messages || [];
  box.hidden = false;
  const patient = s.view === 'patient';
  const title = !d.found ? 'No results' : patient ? 'What the research says' : 'Graded summary of findings';
  const head = h('div', { class: 'summary-head' },
    h('h2', { id: 'summary-title', text: title }),
    findings.length && h('button', {
      type: 'button', class: 'secondary noprint', onclick: () => window.print(), text: 'Print summary',
    }));
  clear(box, head, T('p', 'print-only', `Search: “${s.q}” · ${location.href}`),
    understood(d.query?.parsed, s), patient && safety(), messages.map((m) => T('p', 'notice', m)));
  if (!d.found) {
    box.append(noResults(d, s));
    return;
  }
  if (!findings.length) {
    if (!messages.length) box.append(T('p', 'notice', noFindings(patient)));
    return;
  }
  if (patient) renderCards(box, findings);
  else renderTables(box, findings);
}

const noFindings = (patient) => (patient
  ? 'We could not find study results to summarise for this question. Try naming a treatment, such as exercise or '
    + 'acupuncture.'
  : 'No graded findings for this question. Name a treatment (and a condition) to get a summary of findings.');

// The concepts the server recognised in the question.
function understood(parsed, s) {
  const cs = [...new Map((parsed?.concepts || []).map((c) => [c.id, c])).values()];
  if (!cs.length) return null;
  const patient = s.view === 'patient';
  return h('p', { class: 'understood' }, patient ? 'About: ' : 'Question understood as: ',
    cs.map((c, i) => [i ? ' · ' : '', h('span', { class: 'concept' }, patient ? c.plain : c.preferred,
      T('span', 'kind', ` (${parsed.comparators?.includes(c.id) ? 'comparator' : kindLabel(c.kind)})`))]));
}

function noResults(d, s) {
  const dym = d.query?.did_you_mean;
  const tips = h('ul', {},
    dym && h('li', {}, 'Did you mean ', link(withState({ q: dym, page: 1 }), { text: dym }), '?'),
    T('li', 0, 'Check the spelling, or use fewer or broader words (for example “exercise” instead of a named '
      + 'programme).'),
    hasFilters(s) && h('li', {}, link(clearAll(), { text: 'Remove all filters' })),
    h('li', {}, 'Try: ', exampleLinks(s.view)));
  const what = T('strong', 0, `No studies matched${s.q ? ` “${s.q}”` : ''}.`);
  return h('div', { class: 'notice empty' }, h('p', {}, what), tips);
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

// The findings grouped by treatment (patient cards), in the server's order.
export const treatmentGroups = (findings) => groupBy(findings, (f) => f.intervention.id);

// Patient view: the first six treatments as cards.
function renderCards(box, findings) {
  const groups = treatmentGroups(findings);
  const shown = ui.allCards ? groups : groups.slice(0, 6);
  box.append(h('div', { class: 'cards' }, shown.map((g) => treatmentCard(g))), disclaimer(), dotsHelp());
  if (groups.length > shown.length) {
    box.append(moreButton('more-cards', 'allCards', `Show ${groups.length - shown.length} more treatments`));
  }
}

// Clinician view: a summary-of-findings table per question (intervention vs comparator), four at first.
function renderTables(box, findings) {
  const groups = groupBy(findings, (f) => f.intervention.id + '|' + f.comparator.kind);
  const shown = ui.allGroups ? groups : groups.slice(0, 4);
  for (const g of shown) box.append(sofTable(g));
  if (groups.length > shown.length) {
    box.append(moreButton('more-groups', 'allGroups', `Show ${groups.length - shown.length} more comparisons`));
  }
}

// Shows every group (ui[flag]) and keeps the focus on this button's place.
function moreButton(key, flag, text) {
  const onclick = () => {
    ui[flag] = true;
    rerender(key);
  };
  return h('button', { type: 'button', class: 'secondary', 'data-key': key, onclick, text });
}
