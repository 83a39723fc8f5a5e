// Patient view: a card per treatment with its findings in plain words and certainty as dots.
import { h, T } from './dom.js';
import { cap, num, studies } from './format.js';
import { LEVELS, SURE, TIME_PLAIN, concept } from './labels.js';

// g: the findings of one treatment; each distinct plain sentence once, three shown, the rest folded.
export function treatmentCard(g) {
  const f0 = g[0];
  const id = 'card-' + f0.intervention.id;
  const pref = concept(f0.intervention.id)?.preferred;
  const aka = pref && pref.toLowerCase() !== f0.intervention.plain.toLowerCase() && T('span', 'aka', ` (${pref})`);
  const card = h('article', { class: 'card', 'aria-labelledby': id }, h('h3', { id }, cap(f0.intervention.plain), aka));
  const seen = new Set();
  const items = g.filter((f) => !f.thin).filter((f) => !seen.has(f.sentences.patient) && seen.add(f.sentences.patient));
  if (!items.length) {
    card.append(T('p', 0, f0.sentences.patient || 'We could not find clear results for this treatment.'));
    return card;
  }
  card.append(h('ul', { class: 'plain-findings' }, items.slice(0, 3).map((f) => plainFinding(f))));
  if (items.length > 3) {
    const more = h('ul', { class: 'plain-findings' }, items.slice(3).map((f) => plainFinding(f)));
    const title = `${items.length - 3} more result${items.length > 4 ? 's' : ''} for this treatment`;
    card.append(h('details', { class: 'more' }, T('summary', 0, title), more));
  }
  return card;
}

function plainFinding(f) {
  const outcome = f.outcome.id === 'benefit' ? 'overall benefit' : concept(f.outcome.id)?.plain || f.outcome.label;
  const when = TIME_PLAIN[f.time_point];
  const people = f.n_participants ? ` with ${num(f.n_participants)} people` : '';
  return h('li', {},
    T('p', 'sentence', f.sentences.patient),
    h('p', { class: 'meta' },
      h('span', {}, T('span', 'k', 'Looked at: '), outcome + (when ? ', ' + when : '')),
      h('span', {}, T('span', 'k', 'Compared with: '), f.comparator.plain),
      h('span', {}, T('span', 'k', 'Based on: '), studies(f.n_studies) + people)),
    dots(f.certainty.level));
}

// Certainty as 1 to 4 filled dots and in words.
function dots(level) {
  const n = LEVELS[level] || 1;
  const dotList = [1, 2, 3, 4].map((i) => h('span', { class: i <= n ? 'dot on' : 'dot' }));
  return h('span', { class: 'sure sure-' + level },
    h('span', { class: 'dots', 'aria-hidden': 'true' }, dotList),
    T('span', 0, `${SURE[level] || SURE.very_low} (${n} of 4)`));
}

export const dotsHelp = () => h('details', { class: 'help' }, T('summary', 0, 'What do the dots mean?'),
  T('p', 0, 'The dots show how sure we can be that the research result is right. 4 dots: we are confident, new '
    + 'studies are unlikely to change it. 3 dots: fairly confident. 2 dots: not very confident, new studies could '
    + 'change the answer. 1 dot: very unsure.'));
