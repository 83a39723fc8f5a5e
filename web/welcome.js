// The start page (no question yet) and the example questions offered around the page.
import { $, h, T, clear } from './dom.js';
import { dayOf, num } from './format.js';
import { api } from './api.js';
import { withState, emptyFilters, link } from './state.js';
import { safetyOnce, disclaimer } from './notices.js';

const EXAMPLES = {
  clinician: [
    'electrotherapy chronic LBP efficacy',
    'surgery vs physical therapy spinal stenosis',
    'exercise chronic low back pain',
    'opioids',
  ],
  patient: [
    'does acupuncture help my back',
    'do painkillers help back pain',
    'yoga for back pain',
    'exercise for chronic low back pain',
  ],
};

const exampleLink = (x) => link(withState({ q: x, page: 1, study: '', filters: emptyFilters() }), { text: x });

// The first n examples for the view as comma-separated links.
export const exampleLinks = (view, n = EXAMPLES[view].length) =>
  EXAMPLES[view].slice(0, n).map((x, i) => [i ? ', ' : '', exampleLink(x)]);

export function renderWelcome(s) {
  const w = $('welcome');
  w.hidden = false;
  const patient = s.view === 'patient';
  clear(
    w,
    patient && safetyOnce('start'),
    patient && disclaimer(),
    h('h2', {
      id: 'welcome-title',
      text: patient
        ? 'Find out what research says about back pain treatments'
        : 'Graded evidence on back pain treatments',
    }),
    h('p', {
      text: patient
        ? 'Type a treatment or a question in your own words. We show what studies found, in plain language, '
          + 'and how sure we can be.'
        : 'Ask a clinical question. Above the ranked studies you get a GRADE-style summary of findings per '
          + 'comparison, with effect sizes against the minimal important difference and the reason for every '
          + 'downgrade.',
    }),
    T('h3', 0, 'Try'),
    h('ul', { class: 'examples' }, EXAMPLES[s.view].map((x) => h('li', {}, exampleLink(x)))),
    h('p', { class: 'muted', id: 'stats' }),
  );
  api('/api/stats').then((st) => {
    const when = dayOf(st.built_at);
    if ($('stats')) {
      clear($('stats'), `${num(st.records)} research records indexed`, when ? `, last updated ${when}` : '', '. ',
        h('a', { href: 'about', text: 'About and methods' }));
    }
  }, () => {});
}
