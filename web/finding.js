// Parts of a graded finding shared by the summary-of-findings tables and the patient cards: the
// population it studied (direct or indirect), its counts, its time and the harms label. The
// server decides all of them (docs/GRADING.md); the page only words them for the audience.
import { h, T } from './dom.js';
import { num, plural, studies } from './format.js';
import { timeLabel } from './labels.js';

// The finding's time: the follow-up its results share ("at 12 weeks"), else its time point; ''
// when it is not stated.
export const timeText = (f, patient) => f.time_label || timeLabel(f.time_point, patient);

// The population studied; marked as indirect evidence when it is broader than or beside the
// question's, with the server's note (e.g. mixed durations) when there is one.
export function populationLine(f, patient) {
  const p = f.population || {};
  const name = (patient && p.plain) || p.label;
  if (!name) return null;
  const what = f.indirect
    ? T('strong', 'indirect-label', `Indirect: studied in ${name}`)
    : [T('span', 'k', patient ? 'Studied in: ' : 'Population: '), name];
  return h('span', { class: 'population' + (f.indirect ? ' indirect' : '') }, what,
    p.note && T('span', 'pop-note', p.note));
}

// Reviews that give no number of trials for the comparison add nothing to the counts.
export function uncountedText(f, patient) {
  const n = f.uncounted_reviews || 0;
  if (n) {
    return patient
      ? `${plural(n, 'review')} that did not say how many studies ${n > 1 ? 'they' : 'it'} used`
      : `${plural(n, 'review')}, trials for this comparison not reported`;
  }
  if (f.counts_complete === false) {
    return patient ? 'not every study said how many people took part' : 'participants not given for this comparison';
  }
  return '';
}

// "2 studies with 410 people; 1 review that ..." (patient cards).
export function countsPlain(f) {
  const known = f.n_studies ? studies(f.n_studies) + (f.n_participants ? ` with ${num(f.n_participants)} people` : '') : '';
  return [known, uncountedText(f, true)].filter(Boolean).join('; ') || 'not stated';
}

export const harmsTag = (f, patient) => f.harms && T('span', 'tag harms', patient ? 'Harms (side effects)' : 'Harms');

// The id of each finding's element on the page, by finding key (bottom lines link to them).
export function findingIds(findings) {
  return new Map(findings.map((f, i) => [f.key, 'finding-' + (i + 1)]));
}

// Moves to a finding on the page (by element id): opens the collapsed comparison and the findings
// behind "more" that hold it, then focuses it.
export function reveal(id) {
  const t = document.getElementById(id);
  if (!t) return;
  const region = t.closest('[data-more]');
  if (region?.hidden) document.querySelector(`[aria-controls="${region.id}"]`)?.click();
  for (let d = t.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
  if (!t.hasAttribute('tabindex')) t.setAttribute('tabindex', '-1');
  t.scrollIntoView({ block: 'center' });
  t.focus({ preventScroll: true });
}
