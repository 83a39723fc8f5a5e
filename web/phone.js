// Phone first: on a small screen the bottom line comes first, then the studies, then the details
// (the findings move after the studies, so the reading and the tab order stay the same), and the
// facets are a sheet behind a "Filters" button. On a wide screen the facets are a side column and
// the findings come before the studies.
import { $ } from './dom.js';

const small = matchMedia('(max-width: 820px)');

function place() {
  const phone = small.matches;
  const facets = $('facets');
  (phone ? $('sheet-body') : $('filters-inline')).append(facets);
  if (phone) $('layout').after($('findings-box'));
  else $('summary').after($('findings-box'));
  if (!phone && $('filters-sheet').open) $('filters-sheet').close();
  document.body.classList.toggle('phone', phone);
}

export function setupPhone() {
  place();
  small.addEventListener('change', place);
  const sheet = $('filters-sheet');
  $('filters-open').addEventListener('click', () => sheet.showModal());
  $('filters-close').addEventListener('click', () => sheet.close());
  sheet.addEventListener('close', () => $('filters-open').focus());
}
