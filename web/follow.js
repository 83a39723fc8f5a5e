// "Follow this question" (clinician view): a link to the Atom feed of the question on the page
// (GET /api/feed, docs/API.md), which a feed reader polls to hear of new or updated studies that
// match the question and of its graded conclusions that changed. The page also names the feed in
// the document head, so browsers and feed readers can discover it.
import { h } from './dom.js';
import { params } from './state.js';

// The feed's URL for a state: its question and filters; sort, page and view do not change what
// is new, so they are left out and one question has one feed.
export function feedUrl(s) {
  const p = params({ ...s, sort: 'relevance', page: 1 }, { page: false });
  p.delete('view');
  p.delete('study');
  const query = p.toString();
  return '/api/feed' + (query ? '?' + query : '');
}

// Puts the link beside the summary's heading (after renderSummary), or takes it away.
export function renderFollow(s) {
  const head = document.querySelector('#summary .summary-head');
  // The summary box is not always drawn again (the phone layout moves it), so an earlier link goes.
  document.querySelectorAll('a.follow').forEach((a) => a.remove());
  const old = document.getElementById('feed-link');
  if (old) old.remove();
  if (!head || s.view === 'patient' || (!s.q && !Object.values(s.filters).some((v) => v.length))) return;
  const href = feedUrl(s);
  head.append(h('a', {
    class: 'follow noprint', href, type: 'application/atom+xml', 'data-key': 'follow',
  }, 'Follow this question', h('span', { class: 'follow-note', text: ' (Atom feed of new studies and changed conclusions)' })));
  document.head.append(h('link', {
    id: 'feed-link', rel: 'alternate', type: 'application/atom+xml', title: 'Follow: ' + (s.q || 'this search'), href,
  }));
}
