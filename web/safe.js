// Escaping helpers. Pure functions (no DOM), so the tests can import them in node.
// Record text is never parsed as HTML: the page builds DOM nodes with textContent. The one
// server field that carries markup, a hit's `snippet`, is split on the two tags it may hold
// (<mark> and </mark>); every other character is text.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

// The server escapes snippets (Xapian: &amp; &lt; &gt;); undo that for text nodes.
export function decodeEntities(s) {
  return String(s ?? '').replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (m, e) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

// [{text, mark}] runs of a snippet: only the exact tags <mark> and </mark> are honoured.
export function snippetParts(s) {
  const out = [];
  let mark = false;
  for (const part of String(s ?? '').split(/(<\/?mark>)/)) {
    if (part === '<mark>') mark = true;
    else if (part === '</mark>') mark = false;
    else if (part) out.push({ text: decodeEntities(part), mark });
  }
  return out;
}

// The snippet as safe HTML: everything escaped, then only <mark> and </mark> re-enabled.
export function sanitizeSnippet(s) {
  return snippetParts(s)
    .map((p) => (p.mark ? '<mark>' + escapeHtml(p.text) + '</mark>' : escapeHtml(p.text)))
    .join('');
}

// Only absolute http(s) links from records become hrefs.
export function safeUrl(u) {
  const s = String(u ?? '').trim();
  if (!/^https?:\/\/[^\s]+$/i.test(s)) return null;
  try {
    return new URL(s).href;
  } catch {
    return null;
  }
}
