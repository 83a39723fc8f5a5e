// What the guideline records of the knowledge base say, for the patient cards: about a treatment
// (their own recommendation labels and result sentences, quoted with their source), and what a
// reader can do now (their self-care recommendations). Loaded once per visit from the API; never
// written here: every line is a record's text with a link to the record.
import { api } from './api.js';

let loading = null;

// Concepts counted as things a person can start on their own, before or beside any treatment
// (a project choice; the words shown are always the guideline's).
const SELF_CARE = ['advice_to_stay_active', 'patient_education', 'exercise_therapy', 'heat_therapy'];
const AGAINST = /do not|not recommended|advised against|only if|only alongside/i;

// [{ id, source ("NICE guideline NG59, 2016"), items: [{ concepts, text }] }]
export function loadGuidelines() {
  loading ||= (async () => {
    const found = await api('/api/search?design=guideline&per_page=50&audience=patient');
    const records = await Promise.all(found.hits.map((x) => api('/api/studies/' + encodeURIComponent(x.id)).catch(() => null)));
    return records.filter(Boolean).map((r) => ({
      id: r.id,
      source: `${r.journal && /guideline/i.test(r.journal) ? r.journal : r.authors?.[0] || r.id}, ${r.year}`,
      items: [
        ...(r.outcomes || []).filter((o) => o.result_text).map((o) => ({ concepts: o.intervention || [], text: o.result_text })),
        ...(r.interventions || []).map((i) => ({ concepts: i.concepts || [], text: i.label, label: true })),
      ],
    }));
  })().catch(() => []);
  return loading;
}

// What the guidelines say about any of the concepts: per guideline its result sentences about
// them, else its recommendation label.
export function about(guidelines, concepts) {
  const want = new Set(concepts);
  const out = [];
  for (const g of guidelines) {
    const mine = g.items.filter((i) => i.concepts.some((c) => want.has(c)));
    const said = mine.filter((i) => !i.label);
    for (const i of (said.length ? said : mine).slice(0, 2)) out.push({ id: g.id, source: g.source, text: i.text });
  }
  return out;
}

// Self-care the guidelines recommend (not the ones they advise against), one per guideline.
export function selfCare(guidelines) {
  const out = [];
  for (const g of guidelines) {
    const i = g.items.find((x) => x.label && x.concepts.some((c) => SELF_CARE.includes(c)) && !AGAINST.test(x.text));
    if (i) out.push({ id: g.id, source: g.source, text: i.text });
  }
  return out.slice(0, 3);
}

// The guideline advice on when scans or urgent checks are needed (red flags), quoted.
export function whenToGetHelp(guidelines) {
  for (const g of guidelines) {
    const i = g.items.find((x) => !x.label && /neurolog|serious/i.test(x.text));
    if (i) return { id: g.id, source: g.source, text: i.text };
  }
  return null;
}
