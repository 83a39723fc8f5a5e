// Label tables (ids in the API to words on the page) and the vocabulary's concept labels.
import { api } from './api.js';
import { spaced } from './format.js';

export const FACET_TITLE = {
  design: 'Study design',
  intervention: 'Treatment',
  condition: 'Condition',
  outcome: 'Outcome',
};
// The API's own words for its ids (GET /api/vocabulary, "labels"; core/src/appraisal.cpp): the
// page defines none of these itself. Until they load (or if they cannot), ids are shown as words.
const tables = {
  designs: {}, directions: {}, certainty: {}, grade_domains: {}, time_points: {}, comparator_kinds: {},
};
const KIND = {
  intervention: 'treatment',
  condition: 'condition',
  outcome: 'outcome',
  design: 'study type',
  comparator: 'comparator',
  instrument: 'measure',
};

export const directionLabel = (d) => tables.directions[d] || spaced(d);
export const designLabel = (d) => tables.designs[d] || spaced(d);
export const levelWord = (l) => tables.certainty[l]?.label || spaced(l);
// "We are fairly confident": how sure we are, for patients.
export const levelPlain = (l) => (tables.certainty[l] || tables.certainty.very_low)?.plain || spaced(l);
// 4 (high) .. 1 (very low).
export const levelRank = (l) => tables.certainty[l]?.rank || 1;
export const gradeDomainLabel = (d) => tables.grade_domains[d] || spaced(d);
export const kindLabel = (k) => KIND[k] || k;
// A time point for clinicians ("short term") or patients ("in the short term"); '' when unknown.
export const timeLabel = (t, patient) => tables.time_points[t]?.[patient ? 'plain' : 'label'] || '';

// Concepts of the vocabulary by id, loaded once at startup.
const vocab = new Map();

export async function loadVocabulary() {
  try {
    const d = await api('/api/vocabulary');
    for (const c of d.concepts) vocab.set(c.id, c);
    Object.assign(tables, d.labels || {});
  } catch {
    /* labels fall back to ids */
  }
}

export const concept = (id) => vocab.get(id);

// A concept's label for the view: plain words for patients, the preferred term for clinicians.
export function label(id, view) {
  const c = vocab.get(id);
  return c ? (view === 'patient' ? c.plain : c.preferred) : spaced(id);
}
