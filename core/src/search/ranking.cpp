// Rescoring by evidence strength (docs/RANKING.md): each candidate's text relevance from Xapian,
// plus what its ranking features say of the evidence, with the reasons shown to users.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "search_internal.hpp"
#include "study_codec.hpp"

namespace evidence::search_detail {

const Study& Candidate::record() {
  if (!study) study = decode_stored_study(doc.get_data());
  return *study;
}

namespace {

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// The question's concepts that a record's annotations carry (directly or through a narrower concept).
struct ConceptMatches {
  std::vector<std::string> interventions, conditions, comparators;
  std::size_t secondary = 0;  // interventions that are only one arm of one comparison
};

ConceptMatches match_concepts(const RankFeatures& f, const Question& q, const Vocabulary& v) {
  std::set<std::string> has_i, has_i_secondary, has_c, has_cmp;
  auto collect = [&](std::set<std::string>& into, const std::vector<std::string>& ids) {
    for (const auto& id : ids)
      for (const auto& a : v.ancestors(id)) into.insert(a);
  };
  collect(has_i, f.interventions);
  collect(has_cmp, f.comparators);
  // A concept that is only one arm of one comparison (electroacupuncture as a comparator
  // in a TENS review) says less about the record than its main interventions.
  collect(has_i_secondary, f.secondary_interventions);
  collect(has_c, f.conditions);
  auto label = [&](const std::string& id) {
    const Concept* k = v.find(id);
    return k ? k->preferred : id;
  };
  ConceptMatches m;
  for (const auto& id : q.interventions) {
    if (has_i.count(id)) {
      m.interventions.push_back(label(id));
    } else if (has_i_secondary.count(id)) {
      m.interventions.push_back(label(id) + " (in one comparison)");
      ++m.secondary;
    }
  }
  for (const auto& id : q.conditions)
    if (has_c.count(id)) m.conditions.push_back(label(id));
  for (const auto& id : treatment_comparators(q, v))
    if (has_cmp.count(id)) m.comparators.push_back(label(id));
  return m;
}

void explain(Candidate& c, const ConceptMatches& m, double text, double bonus) {
  const RankFeatures& f = c.features;
  if (!m.interventions.empty()) c.why.push_back("matches intervention " + join(m.interventions, ", "));
  if (!m.conditions.empty()) c.why.push_back("matches condition " + join(m.conditions, ", "));
  if (!m.comparators.empty()) c.why.push_back("matches comparator " + join(m.comparators, ", "));
  if (m.interventions.empty() && m.conditions.empty() && c.relevance > 0)
    c.why.push_back("matches the words of the query");
  c.why.push_back(std::string(design_label(f.design)) +
                  (f.meta_analysis && f.design == "systematic_review" ? " with meta-analysis" : "") +
                  " (evidence level " + std::to_string(f.level) +
                  (f.level == 5 && f.design != "other" ? ", no results yet" : "") + ")");
  if (f.quality >= 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "quality %.0f/10%s", f.quality, f.quality_estimated ? " (estimated)" : "");
    c.why.push_back(buf);
  }
  if (f.graded) c.why.push_back("curated, graded results");
  char rel[96];
  std::snprintf(rel, sizeof rel, "score %.2f = text %.2f + evidence %.2f", c.score, text, bonus);
  c.why.push_back(rel);
  if (f.retracted) c.why.push_back("retracted");
}

}  // namespace

std::string identifier_term(const std::string& kind, const std::string& value) {
  return std::string(fields::identifier_prefix(kind)) + value;
}

namespace {

// Whether a document carries one of the question's identifiers.
bool named_by(const Xapian::Document& doc, const Question& q) {
  for (const auto& [kind, value] : q.identifiers) {
    const std::string term = identifier_term(kind, value);
    auto it = doc.termlist_begin();
    it.skip_to(term);
    if (it != doc.termlist_end() && *it == term) return true;
  }
  return false;
}

}  // namespace

std::vector<Candidate> rescore(const Xapian::MSet& mset, const DocColumns* columns, const Question& q,
                               const Vocabulary& v, const RankingWeights& w) {
  std::vector<Candidate> cands;
  cands.reserve(mset.size());
  double best_relevance = 0;
  for (auto it = mset.begin(); it != mset.end(); ++it) best_relevance = std::max(best_relevance, it.get_weight());
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    Candidate c{it.get_document(), {}, std::nullopt, it.get_weight(), 0, {}};
    std::optional<RankFeatures> known = columns ? columns->features(*it) : std::nullopt;
    if (!known) known = parse_rank_features(c.doc.get_value(fields::slot_rank_features));
    // Every document of a format 2 index carries the slot (check_index_format).
    if (!known) throw Error(ErrorCode::index_corrupt, "a document has no ranking features (slot 13)");
    c.features = std::move(*known);
    const RankFeatures& f = c.features;
    const ConceptMatches m = match_concepts(f, q, v);
    const double text = best_relevance > 0 ? c.relevance / best_relevance : 0;
    const double matched =
        static_cast<double>(m.interventions.size() + m.conditions.size()) - 0.5 * static_cast<double>(m.secondary);
    const double bonus = w.concept_match * matched + w.comparator_match * static_cast<double>(m.comparators.size()) +
                         w.per_level * (5 - f.level) + (f.quality >= 0 ? w.per_quality_point * f.quality : 0) +
                         (f.graded ? w.curated_results : 0) + (f.retracted ? w.retracted_penalty : 0);
    c.score = w.text * text + bonus;
    explain(c, m, w.text * text, bonus);
    if (!q.identifiers.empty() && named_by(c.doc, q)) {
      c.score += w.identifier_match;
      c.why.insert(c.why.begin(), "the identifier in the query names this record");
    }
    cands.push_back(std::move(c));
  }
  return cands;
}

void sort_by_score(std::vector<Candidate>& cands) {
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
    if (std::abs(x.score - y.score) > 1e-9) return x.score > y.score;  // equal up to rounding: a tie
    return x.features.id < y.features.id;
  });
}

}  // namespace evidence::search_detail
