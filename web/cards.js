// Patient view: a card per treatment with its findings in plain words and certainty as dots.
import { h, T } from './dom.js';
import { cap } from './format.js';
import { LEVELS, SURE, concept } from './labels.js';
import { countsPlain, harmsTag, populationLine, timeText } from './finding.js';

// g: the findings of one treatment (none thin), in the server's order; idOf(key) is the id of a
// finding's item; part tells the cards of the headline findings from those behind "more".
export function treatmentCard(g, idOf, part) {
  const f0 = g[0];
  const id = `card-${part}-${f0.intervention.id}`;
  const pref = concept(f0.intervention.id)?.preferred;
  const aka = pref && pref.toLowerCase() !== f0.intervention.plain.toLowerCase() && T('span', 'aka', ` (${pref})`);
  return h('article', { class: 'card', 'aria-labelledby': id },
    h('h3', { id }, cap(f0.intervention.plain), aka),
    h('ul', { class: 'plain-findings' }, g.map((f) => plainFinding(f, idOf(f.key)))));
}

function plainFinding(f, id) {
  const outcome = f.outcome.id === 'benefit' ? 'overall benefit' : concept(f.outcome.id)?.plain || f.outcome.label;
  const add = f.comparator.add_on;
  const compared = add ? `${add.plain} alone` : f.comparator.plain;
  const when = timeText(f, true);
  return h('li', { id, class: [f.harms && 'harms', f.indirect && 'indirect'].filter(Boolean).join(' ') || null },
    harmsTag(f, true),
    T('p', 'sentence', f.sentences.patient),
    h('p', { class: 'meta' },
      h('span', {}, T('span', 'k', 'Looked at: '), when ? `${outcome}, ${when}` : outcome),
      h('span', {}, T('span', 'k', 'Compared with: '), compared),
      populationLine(f, true),
      h('span', {}, T('span', 'k', 'Based on: '), countsPlain(f))),
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
