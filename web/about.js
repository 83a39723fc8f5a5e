// The About and methods page (/about): fills in what the knowledge base holds and when the index
// was last built, from /api/stats. The rest of the page is static and reads without scripts.
import { $, h, clear } from './dom.js';
import { dayOf, num, plural } from './format.js';
import { api } from './api.js';
import { designLabel, loadVocabulary } from './labels.js';
import { errorText } from './notices.js';

const SOURCE = {
  curated: 'curated by hand',
  pubmed: 'from PubMed, read automatically',
  ctgov: 'from ClinicalTrials.gov, read automatically',
};

const countList = (counts, name) => Object.entries(counts || {})
  .sort((a, b) => b[1] - a[1])
  .map(([k, n]) => h('li', {}, `${num(n)} ${name(k)}`));

async function fill() {
  let st;
  try {
    // The design words come with the vocabulary.
    [st] = await Promise.all([api('/api/stats'), loadVocabulary()]);
  } catch (e) {
    $('kb-summary').textContent = `The current numbers could not be loaded. ${errorText(e).text}`;
    return;
  }
  const curated = st.by_source?.curated || 0;
  const when = dayOf(st.built_at);
  $('kb-summary').textContent = `${plural(st.records, 'research record')}, ${num(curated)} of them curated by hand.`
    + (when ? ` Last updated ${when}.` : '');
  $('kb-records').textContent = num(st.records);
  clear($('kb-sources'), countList(st.by_source, (k) => SOURCE[k] || k));
  // A review with a meta-analysis is counted under both designs: it is said as part of the reviews.
  const { meta_analysis: withMeta = 0, ...designs } = st.by_design || {};
  clear($('kb-designs'), countList(designs, (k) => designLabel(k).toLowerCase()
    + (k === 'systematic_review' && withMeta ? ` (${num(withMeta)} with a meta-analysis)` : '')));
  clear($('kb-updated'), when ? h('time', { datetime: st.built_at, text: when }) : 'not recorded');
  $('kb-facts').hidden = false;
}

fill();
