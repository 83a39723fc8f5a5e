// "Other studies found, not appraised": records whose results the server read automatically from
// PubMed or ClinicalTrials.gov text. They are listed, never graded (docs/GRADING.md).
import { h, T } from './dom.js';
import { withState, link } from './state.js';

// list: summary.unappraised [{ record_id, label, title }].
export function unappraisedList(list, patient) {
  if (!list?.length) return null;
  const why = patient
    ? 'We found these studies too, but nobody has checked their results yet, so they are not in the summary above.'
    : 'Their results were read automatically from PubMed or ClinicalTrials.gov text, so they are listed here '
      + 'and not graded.';
  const item = (u) => h('li', {},
    link(withState({ study: u.record_id }), { 'data-key': 'unappraised:' + u.record_id, text: u.label || u.record_id }),
    u.title && [': ', T('span', 'u-title', u.title)]);
  return h('section', { class: 'unappraised', 'aria-labelledby': 'unappraised-title' },
    h('h3', { id: 'unappraised-title', text: 'Other studies found, not appraised' }),
    T('p', 'muted', why),
    h('ul', {}, list.map(item)));
}
