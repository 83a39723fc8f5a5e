// Which results answer the question, and the finding each one joins.
#include <algorithm>

#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"
#include "synthesis_internal.hpp"

namespace evidence::synthesis {

namespace {

bool related(const Vocabulary& v, const std::string& a, const std::string& b) { return v.is_a(a, b) || v.is_a(b, a); }

struct Match {
  bool matches = false;
  bool direct = false;
};

// A study about an unrelated condition does not answer the question; one about a broader or
// narrower condition does, directly only when it studied the question's condition or a narrower one.
Match population_match(const Study& s, const Question& q, const Vocabulary& v) {
  Match m{q.conditions.empty(), q.conditions.empty()};
  for (const auto& qc : q.conditions)
    for (const auto& sc : s.population.conditions) {
      if (related(v, sc, qc)) m.matches = true;
      if (v.is_a(sc, qc)) m.direct = true;
    }
  return m;
}

bool duration_matches(const Study& s, const Question& q) {
  const std::string& d = s.population.duration;
  return q.duration.empty() || d == "unspecified" || d == "mixed" || d == q.duration;
}

bool outcome_matches(const OutcomeResult& o, const Question& q, const std::set<std::string>& outcomes) {
  return outcomes.empty() || outcomes.count(o.domain) || (o.domain == "benefit" && q.benefit_requested);
}

// The concept a result is filed under: one of its interventions that is the question's or
// narrower; else a broader family than asked ("electrotherapy" when TENS was asked), which is
// indirect evidence. Empty when the result is about something else.
std::string key_concept(const OutcomeResult& o, const Question& q, const Vocabulary& v, bool& direct) {
  direct = true;
  if (q.interventions.empty()) return o.intervention.empty() ? std::string() : o.intervention.front();
  for (const auto& c : o.intervention)
    for (const auto& qi : q.interventions)
      if (v.is_a(c, qi)) return c;
  direct = false;
  for (const auto& c : o.intervention)
    for (const auto& qi : q.interventions)
      if (v.is_a(qi, c)) return c;
  return {};
}

// The comparator kinds and comparator treatments the question names, if any ("mixed" always passes).
bool comparator_matches(const OutcomeResult& o, const Question& q, const Vocabulary& v) {
  const auto& kinds = q.comparator_kinds;
  if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), o.comparator_kind) == kinds.end() &&
      o.comparator_kind != "mixed")
    return false;
  // The last comparator treatment named decides (as before this code was split; issue 15 revisits
  // comparisons).
  bool matches = true;
  for (const auto& qc : q.comparators) {
    if (v.find(qc) && v.find(qc)->kind != "intervention") continue;
    matches = std::any_of(o.comparator.begin(), o.comparator.end(), [&](const auto& c) { return related(v, c, qc); });
  }
  return matches;
}

void label_finding(Finding& f, const std::string& key, const std::string& concept_id, const OutcomeResult& o,
                   const Vocabulary& v) {
  f.key = key;
  f.intervention = concept_id;
  const Concept* ic = v.find(concept_id);
  f.intervention_label = ic ? normalise(ic->preferred) : concept_id;
  if (ic && ic->preferred.size() <= 6) f.intervention_label = ic->preferred;  // keep abbreviations such as TENS
  f.intervention_plain = ic ? ic->plain : concept_id;
  f.comparator_kind = o.comparator_kind;
  f.comparator_label = comparator_clinical(o.comparator_kind);
  f.comparator_plain = comparator_plain(o.comparator_kind);
  f.outcome = o.domain;
  if (o.domain == "function")
    f.outcome_label = "function (disability)";
  else if (o.domain == "benefit")
    f.outcome_label = "overall benefit";
  else if (const Concept* c = v.find(o.domain))
    f.outcome_label = normalise(c->preferred);
  else
    f.outcome_label = o.domain;
  f.time_point = o.time_point;
}

std::string label_of(const Study& s) {
  std::string a = s.authors.empty() ? s.id : s.authors.front();
  const auto sp = a.find(' ');
  if (sp != std::string::npos) a = a.substr(0, sp);
  return a + " " + std::to_string(s.year);
}

StudyResult result_of(const Study& s, const OutcomeResult& o, bool indirect) {
  StudyResult r;
  r.record_id = s.id;
  r.label = label_of(s);
  r.design = s.design;
  r.direction = o.direction;
  r.result_text = o.result_text;
  r.instrument = o.instrument;
  r.effect = o.effect;
  r.stated_certainty = o.certainty;
  r.participants = o.n_participants ? *o.n_participants : s.participants();
  r.n_studies = o.n_studies;
  if (!r.n_studies && s.design == "systematic_review" && s.population.n_trials) r.n_studies = s.population.n_trials;
  r.quality = s.annotation.quality_score;
  const auto it = s.annotation.origins.find("direction");
  r.text_extracted = it != s.annotation.origins.end() && it->second == Origin::text;
  r.indirect = indirect;
  return r;
}

// Indirectness is a property of a record within a finding: if any of its results there is
// indirect, all of them count as indirect.
void spread_indirectness(Finding& f) {
  std::set<std::string> indirect;
  for (const auto& r : f.results)
    if (r.indirect) indirect.insert(r.record_id);
  for (auto& r : f.results) r.indirect = indirect.count(r.record_id) > 0;
}

}  // namespace

std::map<std::string, Finding> group_results(const std::vector<Study>& studies, const Question& q,
                                             const Vocabulary& v) {
  std::set<std::string> outcomes;
  for (const auto& o : q.outcomes)
    for (const auto& d : v.descendants(o)) outcomes.insert(d);
  std::map<std::string, Finding> groups;
  for (const auto& s : studies) {
    if (s.retracted || s.design == "protocol") continue;
    const Match population = population_match(s, q, v);
    if (!population.matches || !duration_matches(s, q)) continue;
    for (const auto& o : s.outcomes) {
      if (!reports_result(o) || !outcome_matches(o, q, outcomes)) continue;
      bool intervention_direct = true;
      const std::string concept_id = key_concept(o, q, v, intervention_direct);
      if (concept_id.empty() || !comparator_matches(o, q, v)) continue;
      const std::string key = finding_key(concept_id, o.comparator_kind, o.domain, o.time_point);
      Finding& f = groups[key];
      if (f.key.empty()) label_finding(f, key, concept_id, o, v);
      f.results.push_back(result_of(s, o, !population.direct || !intervention_direct));
    }
  }
  // A finding is labelled with the question's population (issue 15 will label it with the
  // population its results studied).
  std::string condition_label, condition_plain;
  if (!q.conditions.empty())
    if (const Concept* c = v.find(q.conditions.front())) {
      condition_label = normalise(c->preferred);
      condition_plain = c->plain;
    }
  for (auto& [key, f] : groups) {
    f.condition_label = condition_label;
    f.condition_plain = condition_plain;
    spread_indirectness(f);
  }
  return groups;
}

}  // namespace evidence::synthesis
