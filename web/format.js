// Text and number formatting shared by the views.

export const cap = (s) => (s ? s[0].toUpperCase() + s.slice(1) : '');
export const num = (n) => Number(n).toLocaleString('en-GB');
export const plural = (n, one, many = one + 's') => `${num(n)} ${n === 1 ? one : many}`;
export const studies = (n) => plural(n, 'study', 'studies');

// An id as words: 'very_low' -> 'very low'.
export const spaced = (id) => String(id).replace(/_/g, ' ');

// x rounded to d decimals, with a true minus sign and no "-0".
export function fmt(x, d = 2) {
  const r = Math.round(x * 10 ** d) / 10 ** d;
  return (Object.is(r, -0) || r === 0 ? '0' : String(r)).replace('-', '\u2212');
}

// The day an ISO 8601 time falls on, in words ("2 December 2026", UTC); null when it is not one.
export function dayOf(iso) {
  const t = Date.parse(iso || '');
  if (Number.isNaN(t)) return null;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(t));
}
