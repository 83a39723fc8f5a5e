// Notices shared by several views: the error box, the red-flag safety notice and the disclaimer.
import { $, h, T, clear } from './dom.js';

// What the reader is told about a failed request, worded for what they did when it was their
// question or address (a 4xx with a stable code, docs/API.md), and for us when it was the server
// or the connection. `yours` tells the two apart: a retry cannot fix the reader's own input.
const WORDING = {
  query_too_long: ['Your question is longer than 1,000 characters; shorten it.', true],
  query_too_complex: ['Your question has too many parts to search at once; use fewer words or fewer ORs.', true],
  bad_encoding: ['The address has a broken character in it; type your question again.', true],
  bad_parameter: ['The address has a setting this search does not understand; start a new search.', true],
  uri_too_long: ['The address is too long; shorten your question or remove some filters.', true],
  not_found: ['There is nothing at this address: the link may be mistyped or out of date.', true],
  index_unavailable: ['The evidence is being updated or cannot be read right now; try again in a minute.', false],
  unreachable: ['The evidence server could not be reached. Check your connection and try again.', false],
};

// { text, yours } for an ApiError (api.js). `what` names the thing asked for ('study') when a
// not_found means that thing.
export function errorText(e, what) {
  if (e.code === 'not_found' && what === 'study') {
    return { text: 'There is no study with this id here: the link may be mistyped, or the record was removed.', yours: true };
  }
  const [text, yours] = WORDING[e.code] || [];
  if (text) return { text, yours };
  if (e.status >= 400 && e.status < 500) return { text: 'This search could not be run as asked; start a new search.', yours: true };
  return { text: 'Something went wrong on our side. Try again in a minute.', yours: false };
}

// The error box for an ApiError: the wording above; "Try again" (retry) when trying again can
// help, otherwise a button back to the question; extra nodes after it.
export function showError(e, { retry, extra, what } = {}) {
  const { text, yours } = errorText(e, what);
  const action = yours
    ? h('button', { type: 'button', class: 'secondary', onclick: editQuestion, text: 'Edit your question' })
    : retry && h('button', { type: 'button', class: 'secondary', onclick: retry, text: 'Try again' });
  clear($('error'), h('div', { class: 'notice error' + (yours ? ' yours' : '') },
    h('p', {}, T('strong', 0, text)),
    h('p', {}, action, extra)));
}

function editQuestion() {
  const q = $('q');
  q.focus();
  q.select();
}

// The red-flag notice's words; web/index.html (noscript) and web/about.html repeat them, and the
// end-to-end tests check that they stay the same.
export const RED_FLAGS = 'See a doctor straight away, or call emergency services, if you have new or severe symptoms: '
  + 'numbness around your bottom or genitals, loss of bladder or bowel control, weakness in your legs, fever, '
  + 'pain after a fall or injury, or pain that keeps getting worse.';

// Patient view: red flags that need a doctor before any reading.
export function safety() {
  return h('aside', { class: 'safety', 'aria-labelledby': 'safety-title' },
    h('h3', { id: 'safety-title', text: 'Get medical help first' }),
    T('p', 0, RED_FLAGS));
}

// The red-flag notice once per visit (this tab's session): in full where it was first shown (also
// when that page is shown again), elsewhere one line that opens to the same words. A notice on
// every search is read past; one that is gone for good is not there when it is needed.
const SEEN = 'evidence.red-flags-shown-for';

export function safetyOnce(where) {
  let first = null;
  try {
    first = sessionStorage.getItem(SEEN);
    if (first === null) sessionStorage.setItem(SEEN, where);
  } catch {
    return safety(); // no storage (private mode, policy): every time rather than never
  }
  if (first === null || first === where) return safety();
  return h('details', { class: 'safety-short' },
    T('summary', 0, 'When to get medical help first'), T('p', 0, RED_FLAGS));
}

export const disclaimer = () => T('p', 'muted', 'This page explains research. It cannot tell what is right for you: '
  + 'talk to your doctor or physiotherapist before you start or stop a treatment.');
