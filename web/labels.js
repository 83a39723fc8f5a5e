// Label tables (ids in the API to words on the page) and the vocabulary's concept labels.
import { api } from './api.js';
import { spaced } from './format.js';

export const FACET_TITLE = {
  design: 'Study design',
  intervention: 'Treatment',
  condition: 'Condition',
  outcome: 'Outcome',
};
export const LEVELS = { high: 4, moderate: 3, low: 2, very_low: 1 };
const LEVEL_WORD = { high: 'High', moderate: 'Moderate', low: 'Low', very_low: 'Very low' };
export const SURE = {
  high: 'We are confident',
  moderate: 'We are fairly confident',
  low: 'We are not very confident',
  very_low: 'We are very unsure',
};
export const TIME = {
  immediate: 'immediate',
  short: 'short term',
  intermediate: 'intermediate term',
  long: 'long term',
};
export const TIME_PLAIN = {
  immediate: 'right after treatment',
  short: 'in the short term',
  intermediate: 'in the medium term',
  long: 'in the long term',
};
const DIRECTION = {
  favours_intervention: 'favours the treatment',
  favours_comparator: 'favours the comparator',
  no_difference: 'no difference',
  conflicting: 'conflicting',
  unclear: 'unclear',
};
const GRADE_DOMAIN = {
  risk_of_bias: 'Risk of bias',
  inconsistency: 'Inconsistency',
  indirectness: 'Indirectness',
  imprecision: 'Imprecision',
  publication_bias: 'Publication bias',
  source_rating: 'Never above the source',
};
const DESIGN = {
  guideline: 'Guideline',
  systematic_review: 'Systematic review',
  meta_analysis: 'Meta-analysis',
  rct: 'Randomised trial',
  non_randomised_trial: 'Non-randomised trial',
  cohort: 'Cohort study',
  case_control: 'Case-control study',
  case_series: 'Case series',
  protocol: 'Protocol',
  narrative_review: 'Narrative review',
  other: 'Other',
};
const KIND = {
  intervention: 'treatment',
  condition: 'condition',
  outcome: 'outcome',
  design: 'study type',
  comparator: 'comparator',
  instrument: 'measure',
};

export const directionLabel = (d) => DIRECTION[d] || d;
export const designLabel = (d) => DESIGN[d] || d;
export const levelWord = (l) => LEVEL_WORD[l] || spaced(l);
export const gradeDomainLabel = (d) => GRADE_DOMAIN[d] || d;
export const kindLabel = (k) => KIND[k] || k;

// Concepts of the vocabulary by id, loaded once at startup.
const vocab = new Map();

export async function loadVocabulary() {
  try {
    const d = await api('/api/vocabulary');
    for (const c of d.concepts) vocab.set(c.id, c);
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
