// Patient view: one card per treatment. It answers "will it help me" in one plain sentence (the
// most relevant finding, in the server's words), says how sure we are in words and dots, the side
// effects in plain words, what the guidelines say about it and what you can do now (quoted from
// the guideline records, with their source), when to see your GP, and all its results behind a
// disclosure.
import { h, T } from './dom.js';
import { cap } from './format.js';
import { concept, levelPlain, levelRank } from './labels.js';
import { withState, link } from './state.js';
import { countsPlain, harmsTag, populationLine, timeText } from './finding.js';
import { loadGuidelines, about, selfCare, whenToGetHelp } from './guidance.js';
import { RED_FLAGS } from './notices.js';

// g: the headline findings of one treatment (none thin), in the server's order; idOf(key) is the
// id of a finding's item; all: every finding (its side effects may be among the rest); asked: the
// treatments the question named (a guideline about exercise speaks for walking when exercise was asked).
export function treatmentCard(g, idOf, part, { all = g, asked = [] } = {}) {
  const f0 = g.find((f) => !f.harms) || g[0];
  const id = `card-${part}-${f0.intervention.id}`;
  const name = f0.intervention.plain;
  const pref = concept(f0.intervention.id)?.preferred;
  const aka = pref && pref.toLowerCase() !== name.toLowerCase() && T('span', 'aka', ` (${pref})`);
  const harm = g.find((f) => f.harms && f !== f0)
    || all.find((f) => f.harms && !f.thin && f !== f0 && f.intervention.id === f0.intervention.id);
  const guidance = h('div', { class: 'guidance', 'aria-live': 'off' });
  fillGuidance(guidance, [f0.intervention.id, ...asked]);
  return h('article', { class: 'card', 'aria-labelledby': id },
    h('h3', { id }, cap(name), aka),
    h('div', { class: 'answer' },
      T('h4', 0, 'Will it help me?'),
      T('p', 'sentence', f0.sentences.patient),
      disagreement(f0, g),
      dots(f0.certainty.level)),
    h('div', { class: 'side-effects' },
      T('h4', 0, 'Side effects'),
      f0.harms ? T('p', 0, 'The answer above is about side effects.')
        : harm ? T('p', 'sentence', harm.sentences.patient)
          : T('p', 0, `The studies here do not tell us about side effects of ${name}.`)),
    guidance,
    h('details', { class: 'all-results' },
      T('summary', 0, `All results for ${name} (${g.length})`),
      h('ul', { class: 'plain-findings' }, g.map((f) => plainFinding(f, idOf(f.key))))));
}

// A result that points another way than the answer, at the same certainty (the same outcome,
// compared with something else or at another time): said beside the answer, not as a second
// answer.
function disagreement(f0, g) {
  const other = g.find((f) => f !== f0 && f.outcome.id === f0.outcome.id && f.certainty.level === f0.certainty.level
    && f.direction !== f0.direction && !['unclear', 'conflicting'].includes(f.direction));
  if (!other) return null;
  return T('p', 'differs', `Studies that compared it with ${other.comparator.add_on ? 'other care' : other.comparator.plain}`
    + `${timeText(other, true) ? ' ' + timeText(other, true) : ''} found something different: see all results below.`);
}

// What the guidelines say about the treatment, what you can do now and when to get help: from
// the guideline records, each line with a link to its record.
async function fillGuidance(box, concepts) {
  const gs = await loadGuidelines();
  const cite = (x) => [' (', link(withState({ study: x.id }), { text: x.source }), ')'];
  const quote = (x) => h('li', {}, T('q', 0, x.text), cite(x));
  const says = about(gs, concepts);
  const now = selfCare(gs);
  const help = whenToGetHelp(gs);
  // Element.append() writes a null as the text "null": only the parts there are.
  box.append(...[
    says.length ? h('div', {}, T('h4', 0, 'What guidelines say about it'), h('ul', {}, says.map(quote))) : null,
    now.length ? h('div', {}, T('h4', 0, 'What you can do now'), h('ul', {}, now.map(quote))) : null,
    h('details', { class: 'get-help' },
      T('summary', 0, 'When to see a doctor straight away'),
      T('p', 0, RED_FLAGS),
      help ? h('p', {}, 'Doctors look further, with scans, only in such cases: ', T('q', 0, help.text), cite(help)) : null),
  ].filter(Boolean));
}

export function plainFinding(f, id) {
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
  const n = levelRank(level);
  const dotList = [1, 2, 3, 4].map((i) => h('span', { class: i <= n ? 'dot on' : 'dot' }));
  return h('span', { class: 'sure sure-' + level },
    h('span', { class: 'dots', 'aria-hidden': 'true' }, dotList),
    T('span', 0, `How sure we are: ${levelPlain(level)} (${n} of 4)`));
}

export const dotsHelp = () => h('details', { class: 'help' }, T('summary', 0, 'What do the dots mean?'),
  T('p', 0, 'The dots show how sure we can be that the research result is right. 4 dots: we are confident, new '
    + 'studies are unlikely to change it. 3 dots: fairly confident. 2 dots: not very confident, new studies could '
    + 'change the answer. 1 dot: very unsure.'));

export const countText = (g) => plural(g.length, 'result');
