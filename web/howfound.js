// "How this was found": the internals behind a result (the ranking's reasons and score, where each
// annotation came from, curation notes, the rules a grade applied), for the clinician view only,
// in words, behind a disclosure. The patient view never shows them.
import { h, T } from './dom.js';
import { cap } from './format.js';

const num2 = (x) => Number(x).toFixed(2);

// One reason of a hit's rank (hit.why, core/src/search/ranking.cpp) in words; a reason this page
// does not know is shown as the server wrote it.
const WHY = [
  [/^the identifier in the query names this record$/, () => 'The identifier in the question (PMID, DOI or trial number) names this record, so it comes first.'],
  [/^matches intervention (.+) \(the usual alternative to (.+)\)$/, (m) =>
    `It studies ${m[1]}, the usual alternative to ${m[2]}, which the question names; it counts as half a match.`],
  [/^matches intervention (.+)$/, (m) => `It studies ${m[1]}, a treatment named in the question.`],
  [/^matches condition (.+)$/, (m) => `Its patients have ${m[1]}, as in the question.`],
  [/^matches comparator (.+)$/, (m) => `It compares with ${m[1]}, as the question asks.`],
  [/^measures outcome (.+)$/, (m) => `It measures ${m[1]}, an outcome named in the question.`],
  [/^matches the words of the query$/, () => 'Its title, abstract or summary has words of the question.'],
  [/^(.+) \(evidence level (\d)(, no results yet)?\)$/, (m) =>
    `${cap(m[1])}: evidence level ${m[2]} of 5, where 1 is the strongest design${m[3] ? '; no results yet' : ''}.`],
  [/^quality (\d+)\/10( \(estimated\))?$/, (m) =>
    `Quality ${m[1]} out of 10${m[2] ? ', estimated automatically from the report, not rated by a reviewer' : ''}.`],
  [/^curated, graded results$/, () => 'Its results were entered and checked by hand, and are graded in the summary.'],
  [/^contains the words (.+?)(?: \(in the title: (.+)\))?$/, (m) =>
    `It contains the question's own words ${m[1]}${m[2] ? ` (${m[2]} in its title)` : ''}.`],
  [/^score ([\d.]+) = relevance ([\d.]+) \+ evidence ([\d.]+)$/, (m) =>
    `Its place in the list: ${num2(m[2])} for how much of the question it has (treatments, condition, words), plus `
    + `${num2(m[3])} for the strength of its evidence (design, quality, checked results), ${num2(m[1])} in all.`],
  [/^covers (\d+) treatments \(ranked below studies of fewer\)$/, (m) =>
    `It covers ${m[1]} treatments, so it says less about each one than a study of the one asked about; it ranks a little lower for that.`],
  [/^text relevance ([\d.]+)$/, (m) => `How well its words match the question: ${num2(m[1])}.`],
  [/^retracted$/, () => 'The publication has been retracted.'],
];

export function whyText(w) {
  for (const [re, words] of WHY) {
    const m = re.exec(w);
    if (m) return words(m);
  }
  return cap(w);
}

// The disclosure: a <details> with the summary "How this was found" and the given content.
export const howFound = (...content) =>
  h('details', { class: 'how-found' }, T('summary', 0, 'How this was found'), ...content);

// A hit's reasons, for the clinician view.
export const hitHowFound = (why) => (why?.length ? howFound(h('ul', {}, why.map((w) => T('li', 0, whyText(w))))) : null);

// What each rule of a finding is about (finding.rules: "rule_id: what it did", docs/GRADING.md),
// so that its description reads on its own; a rule not listed here shows its description alone.
const RULE_LEAD = {
  start_high: 'Started at high certainty',
  start_low: 'Started at low certainty',
  publication_bias_not_assessed: 'Publication bias not assessed',
  counts_incomplete: 'Counts incomplete',
  estimate_from_review: 'Estimate from a review',
  pooled: 'Pooled here',
  single_estimate: 'One estimate',
  vote_count: 'No pooled estimate',
  vote_majority: 'Direction by majority',
  trials_disagree: 'Studies disagree',
  stated_certainty_differs: 'Certainty differs from the review’s',
  superseded: 'Updated review used',
};

// A rule of a finding in words: what it is about and what it did, never its id.
export function ruleText(r) {
  const at = r.indexOf(': ');
  const id = at >= 0 ? r.slice(0, at) : r;
  const what = at >= 0 ? r.slice(at + 2) : '';
  const stop = (t) => (/[.!?]$/.test(t) ? t : t + '.');
  if (id === 'effect_size') {
    const mid = /\(([^)]*)\)\s*$/.exec(what);
    return `The size of the effect is judged against the minimal important difference${mid ? ` (${mid[1]})` : ''}.`;
  }
  const lead = RULE_LEAD[id];
  if (!what) return stop(lead || cap(id.replace(/_/g, ' ')));
  return stop(lead ? `${lead}: ${what}` : cap(what));
}
