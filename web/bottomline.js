// The answer first: the bottom line of each treatment asked about, in the audience's wording, with
// the records behind it (links to their details) and links to the findings it comes from.
import { h, T } from './dom.js';
import { cap } from './format.js';
import { concept } from './labels.js';
import { withState, link } from './state.js';
import { reveal, timeText } from './finding.js';

// lines: summary.bottom_lines; byKey: the findings by key; target(key): the element of a finding
// on the page (null when it is not shown); labelOf(id): a record's short label.
export function bottomLines(lines, { patient, byKey, target, labelOf }) {
  if (!lines.length) return null;
  return h('section', { class: 'bottom-lines', 'aria-labelledby': 'bottom-lines-title' },
    h('h3', { id: 'bottom-lines-title', text: patient ? 'In short' : 'Bottom line' }),
    lines.map((b, i) => bottomLine(b, i, { patient, byKey, target, labelOf })));
}

function bottomLine(b, i, { patient, byKey, target, labelOf }) {
  const id = 'bottom-line-' + (i + 1);
  const name = patient ? concept(b.intervention.id)?.plain || b.intervention.label : b.intervention.label;
  const records = b.record_ids.map((r, j) => [j ? ', ' : '',
    link(withState({ study: r }), { 'data-key': `bottom-line:${i}:${r}`, text: labelOf(r) })]);
  const findings = b.finding_keys.filter((k) => byKey.has(k) && target(k)).map((k, j) => [j ? ' · ' : '',
    findingLink(byKey.get(k), target, patient)]);
  return h('article', { class: 'bottom-line', 'aria-labelledby': id },
    h('h4', { id, text: cap(name) }),
    T('p', 'sentence', patient ? b.sentences.patient : b.sentences.clinician),
    records.length && h('p', { class: 'bl-sources' },
      T('span', 'k', patient ? 'Studies behind this: ' : 'Based on: '), records),
    findings.length && h('p', { class: 'bl-findings' },
      T('span', 'k', patient ? 'See the results: ' : 'See the findings: '), findings));
}

// A link to a finding in the summary below: it shows the findings behind "more" when the finding is
// among them, then moves to it.
function findingLink(f, target, patient) {
  const outcome = patient ? concept(f.outcome.id)?.plain || f.outcome.label : f.outcome.label;
  const when = timeText(f, patient);
  const el = target(f.key);
  const a = h('a', { href: '#' + el.id, class: 'to-finding', text: cap(when ? `${outcome}, ${when}` : outcome) });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    reveal(el.id);
  });
  return a;
}
