// Autocomplete on the search box: vocabulary terms for the last one to three words typed
// (a combobox with a listbox, usable by keyboard).
import { $, h, T, clear } from './dom.js';
import { cap } from './format.js';
import { kindLabel } from './labels.js';
import { api } from './api.js';
import { state } from './state.js';

// The box, the list, the suggested concepts, the highlighted one, the [start, end) of the words
// they replace, the number of the latest lookup and the timer of the next one.
const ac = { input: null, list: null, items: [], active: -1, range: null, n: 0, timer: 0 };

// Wires the suggestions to the search box; returns a function that closes them.
export function setupAutocomplete() {
  ac.input = $('q');
  ac.list = $('suggest');
  ac.input.addEventListener('input', () => {
    clearTimeout(ac.timer);
    ac.timer = setTimeout(suggest, 120);
  });
  ac.input.addEventListener('keydown', onKey);
  ac.input.addEventListener('blur', () => setTimeout(close, 150));
  ac.list.addEventListener('mousedown', (e) => {
    const li = e.target.closest('[role=option]');
    if (li) {
      e.preventDefault();
      choose(+li.id.slice(4));
    }
  });
  return close;
}

// Also cancels the lookup that is due or under way: its answer, arriving after a search was
// submitted, would open the list again over the results.
function close() {
  clearTimeout(ac.timer);
  ac.n++;
  ac.list.hidden = true;
  ac.input.setAttribute('aria-expanded', 'false');
  ac.input.removeAttribute('aria-activedescendant');
  ac.items = [];
  ac.active = -1;
}

// Highlights suggestion i (none when -1).
function highlight(i) {
  ac.active = i;
  [...ac.list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
  if (i >= 0) ac.input.setAttribute('aria-activedescendant', 'opt-' + i);
  else ac.input.removeAttribute('aria-activedescendant');
}

// Replaces the words the suggestions were for with suggestion i's term.
function choose(i) {
  const c = ac.items[i];
  if (!c || !ac.range) return;
  const term = /^[A-Z]{2}/.test(c.preferred) ? c.preferred : c.preferred[0].toLowerCase() + c.preferred.slice(1);
  const [start, end] = ac.range;
  const v = ac.input.value;
  ac.input.value = v.slice(0, start) + term + ' ' + v.slice(end).replace(/^\s+/, '');
  const pos = start + term.length + 1;
  ac.input.setSelectionRange(pos, pos);
  close();
  ac.input.focus();
}

function onKey(e) {
  if (ac.list.hidden) return;
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    highlight((ac.active + 1) % ac.items.length);
  } else if (e.key === 'ArrowUp') {
    e.preventDefault();
    highlight(ac.active <= 0 ? ac.items.length - 1 : ac.active - 1);
  } else if (e.key === 'Enter' && ac.active >= 0) {
    e.preventDefault();
    choose(ac.active);
  } else if (e.key === 'Escape') {
    e.preventDefault();
    close();
  } else if (e.key === 'Tab') close();
}

async function suggest() {
  const { input, list } = ac;
  const end = input.selectionStart ?? input.value.length;
  const before = input.value.slice(0, end);
  const words = before.split(/\s+/);
  if (/\s$/.test(before) || words[words.length - 1].length < 2) return close();
  const my = ++ac.n;
  let hit;
  try {
    hit = await lookup(words);
  } catch {
    return close();
  }
  if (my !== ac.n) return;
  if (!hit) return close();
  const patient = state.view === 'patient';
  ac.items = hit[1].filter((c) => !patient || (c.kind !== 'instrument' && c.kind !== 'design')).slice(0, 8);
  if (!ac.items.length) return close();
  ac.range = [end - hit[0].length, end];
  clear(list, ac.items.map((c, i) => option(c, i, patient)));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  highlight(-1);
}

// [words, concepts] for the longest of the last three, two or one words typed that has any.
async function lookup(words) {
  const tries = [3, 2, 1].filter((k) => k <= words.length).map((k) => words.slice(-k).join(' '))
    .filter((x, i, a) => a.indexOf(x) === i);
  const got = await Promise.all(tries.map((t) =>
    api(`/api/vocabulary?limit=8&prefix=${encodeURIComponent(t)}`).then((d) => [t, d.concepts])));
  return got.find(([, cs]) => cs.length);
}

// A suggestion: the term for the view, what kind of term it is, and its other name or abbreviations.
function option(c, i, patient) {
  const other = patient
    ? (c.plain.toLowerCase() !== c.preferred.toLowerCase() ? ' · ' + c.preferred : '')
    : c.abbreviations?.length ? ' · ' + c.abbreviations.join(', ') : '';
  return h('li', { role: 'option', id: 'opt-' + i, 'aria-selected': 'false' },
    T('span', 'opt-main', patient ? cap(c.plain) : c.preferred),
    T('span', 'opt-sub', ` ${kindLabel(c.kind)}${other}`));
}
