// Notices shared by several views: the error box, the red-flag safety notice and the disclaimer.
import { $, h, T, clear } from './dom.js';

// The error box: message, a "Try again" button (retry) and extra nodes.
export function showError(message, retry, extra) {
  clear($('error'), h('div', { class: 'notice error' },
    h('p', {}, T('strong', 0, 'Something went wrong. '), message),
    h('p', {}, retry && h('button', { type: 'button', class: 'secondary', onclick: retry, text: 'Try again' }),
      extra)));
}

// Patient view: red flags that need a doctor before any reading.
export function safety() {
  return h('aside', { class: 'safety', 'aria-labelledby': 'safety-title' },
    h('h3', { id: 'safety-title', text: 'Get medical help first' }),
    T('p', 0, 'See a doctor straight away, or call emergency services, if you have new or severe symptoms: '
      + 'numbness around your bottom or genitals, loss of bladder or bowel control, weakness in your legs, fever, '
      + 'pain after a fall or injury, or pain that keeps getting worse.'));
}

export const disclaimer = () => T('p', 'muted', 'This page explains research. It cannot tell what is right for you: '
  + 'talk to your doctor or physiotherapist before you start or stop a treatment.');
