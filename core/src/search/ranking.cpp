// Rescoring by evidence strength (docs/RANKING.md): each candidate's text relevance from Xapian,
// plus what its ranking features say of the evidence, with the reasons shown to users.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_set>

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

std::string label_of(const Vocabulary& v, const std::string& id) {
  const Concept* k = v.find(id);
  return k ? k->preferred : id;
}

// The question's concepts that a record's annotations carry (directly or through a narrower
// concept), as the labels a hit's "why" shows.
struct ConceptMatches {
  std::vector<std::string> interventions, conditions, comparators;
};

// The question's concepts prepared once per search, each as the set of concept ids that carry it
// (itself and its narrower concepts): a candidate's matches are a few lookups, not every ancestor
// of every concept of the record. One rule serves the score (count) and the "why" (labels).
class QuestionConcepts {
 public:
  QuestionConcepts(const Question& q, const Vocabulary& v)
      : treatments_(q.interventions),
        conditions_(q.conditions),
        comparators_(treatment_comparators(q, v)),
        alternatives_(asked_alternatives(q, v)),
        either_(q.either_treatment) {
    auto sets = [&](const std::vector<std::string>& ids) {
      std::vector<std::unordered_set<std::string>> out;
      for (const auto& id : ids) {
        const auto d = v.descendants(id);
        out.emplace_back(d.begin(), d.end());
      }
      return out;
    };
    treatment_sets_ = sets(treatments_);
    condition_sets_ = sets(conditions_);
    comparator_sets_ = sets(comparators_);
    alternative_sets_ = sets(alternatives_);
  }

  // Matched concepts less half of those only in one comparison or only the comparison, and the
  // matched comparators. For "A or B", a record of A compared with B is the comparison asked for:
  // B counts in full there.
  std::pair<double, std::size_t> count(const RankFeatures& f) const {
    const Verdicts m = of(f);
    const bool compares_asked =
        either_ && std::find(m.treatments.begin(), m.treatments.end(), Has::directly) != m.treatments.end();
    double matched = 0;
    for (const Has h : m.treatments) {
      if (h == Has::directly || h == Has::compared_with_alternative || (h == Has::as_the_comparison && compares_asked))
        matched += 1.0;
      else if (h != Has::no)
        matched += 0.5;
    }
    matched += static_cast<double>(std::count(m.conditions.begin(), m.conditions.end(), true));
    return {matched, static_cast<std::size_t>(std::count(m.comparators.begin(), m.comparators.end(), true))};
  }

  ConceptMatches labels(const RankFeatures& f, const Vocabulary& v) const {
    auto label = [&](const std::string& id) { return label_of(v, id); };
    const Verdicts m = of(f);
    ConceptMatches out;
    for (std::size_t i = 0; i < treatments_.size(); ++i) {
      if (m.treatments[i] == Has::directly) out.interventions.push_back(label(treatments_[i]));
      if (m.treatments[i] == Has::in_one_comparison)
        out.interventions.push_back(label(treatments_[i]) + " (in one comparison)");
      if (m.treatments[i] == Has::as_the_comparison)
        out.interventions.push_back(label(treatments_[i]) + " (as the comparison)");
      if (m.treatments[i] == Has::compared_with_alternative)
        out.interventions.push_back(label(treatments_[i]) + " (compared with " + label(m.alternative) + ")");
      if (m.treatments[i] == Has::its_alternative)
        out.interventions.push_back(label(m.alternative) + " (the usual alternative to " + label(treatments_[i]) + ")");
    }
    for (std::size_t i = 0; i < conditions_.size(); ++i)
      if (m.conditions[i]) out.conditions.push_back(label(conditions_[i]));
    for (std::size_t i = 0; i < comparators_.size(); ++i)
      if (m.comparators[i]) out.comparators.push_back(label(comparators_[i]));
    return out;
  }

 private:
  // its_alternative: a record of the asked treatment's usual alternative (asked_alternatives), and
  // not of it; compared_with_alternative: the asked treatment as the comparator of its alternative
  // (the Cochrane review of advice to stay active against bed rest), which answers in full.
  enum class Has { no, directly, in_one_comparison, as_the_comparison, compared_with_alternative, its_alternative };
  struct Verdicts {
    std::vector<Has> treatments;
    std::vector<bool> conditions, comparators;
    std::string alternative;  // the alternative a verdict names
  };

  Verdicts of(const RankFeatures& f) const {
    auto any_in = [](const std::vector<std::string>& ids, const std::unordered_set<std::string>& set) {
      return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return set.count(id) > 0; });
    };
    Verdicts m;
    for (std::size_t i = 0; i < treatments_.size(); ++i) {
      if (any_in(f.interventions, treatment_sets_[i])) m.treatments.push_back(Has::directly);
      // A concept that is only one arm of one comparison (electroacupuncture as a comparator in a
      // TENS review) says less about the record than its main interventions.
      else if (any_in(f.secondary_interventions, treatment_sets_[i]))
        m.treatments.push_back(Has::in_one_comparison);
      // A study that compares with the asked treatment answers a question about it, less directly.
      else if (std::find(f.comparators.begin(), f.comparators.end(), treatments_[i]) != f.comparators.end())
        m.treatments.push_back(Has::as_the_comparison);
      else
        m.treatments.push_back(Has::no);
    }
    // Only the one asked treatment has alternatives (asked_alternatives).
    if (!m.treatments.empty() && (m.treatments[0] == Has::no || m.treatments[0] == Has::as_the_comparison))
      for (std::size_t a = 0; a < alternatives_.size(); ++a)
        if (any_in(f.interventions, alternative_sets_[a])) {
          m.treatments[0] = m.treatments[0] == Has::no ? Has::its_alternative : Has::compared_with_alternative;
          m.alternative = alternatives_[a];
          break;
        }
    for (const auto& c : condition_sets_) m.conditions.push_back(any_in(f.conditions, c));
    for (const auto& c : comparator_sets_) m.comparators.push_back(any_in(f.comparators, c));
    return m;
  }

  std::vector<std::string> treatments_, conditions_, comparators_, alternatives_;
  std::vector<std::unordered_set<std::string>> treatment_sets_, condition_sets_, comparator_sets_, alternative_sets_;
  bool either_ = false;
};

// The question's own words (those the vocabulary does not know) that a record carries, anywhere
// and in its title, each counted by its rarity.
struct WordMatches {
  std::vector<std::string> words, in_title;
  double weight = 0, title_weight = 0;
};

// Which candidates carry which words: each word's posting lists walked once over the candidates
// in docid order (reading 200 candidates' term lists instead cost five times the rest of rescoring).
class WordPostings {
 public:
  WordPostings(const Xapian::Database& db, const std::vector<Matched>& matches, const std::vector<QuestionWord>& words)
      : words_(words) {
    if (words.empty()) return;
    for (const auto& m : matches) ids_.push_back(m.id);
    std::sort(ids_.begin(), ids_.end());
    found_.assign(words.size(), std::vector<char>(ids_.size(), 0));
    titled_ = found_;
    for (std::size_t i = 0; i < words.size(); ++i) {
      for (const auto& t : words[i].terms) walk(db, t, found_[i]);
      for (const auto& t : words[i].title_terms) walk(db, t, titled_[i]);
    }
  }

  WordMatches of(Xapian::docid id) const {
    WordMatches m;
    if (words_.empty()) return m;
    const auto at = static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
    for (std::size_t i = 0; i < words_.size(); ++i) {
      if (found_[i][at]) {
        m.words.push_back(words_[i].word);
        m.weight += words_[i].weight;
      }
      if (titled_[i][at]) {
        m.in_title.push_back(words_[i].word);
        m.title_weight += words_[i].weight;
      }
    }
    return m;
  }

 private:
  void walk(const Xapian::Database& db, const std::string& term, std::vector<char>& has) const {
    auto p = db.postlist_begin(term);
    for (std::size_t k = 0; k < ids_.size(); ++k) {
      p.skip_to(ids_[k]);
      if (p == db.postlist_end(term)) return;
      if (*p == ids_[k]) has[k] = 1;
    }
  }

  const std::vector<QuestionWord>& words_;
  std::vector<Xapian::docid> ids_;
  std::vector<std::vector<char>> found_, titled_;
};

// A record of many treatments (RankingWeights::broad_record) for a question that names one. Eight:
// the four guidelines of the corpus have 10 to 20, the broadest review 9. Thresholds of 4 to 8 all
// gave much the same relevance (docs/BENCHMARKS.md); at 7 the AHRQ review of 7 treatments, the
// source of the audit's answer to "can talking therapy help my back pain", left the first five.
constexpr std::size_t broad_record_treatments = 8;
bool broad(const Question& q, const RankFeatures& f) {
  return !q.interventions.empty() && f.interventions.size() >= broad_record_treatments;
}

void explain(Candidate& c, const ConceptMatches& m, const WordMatches& wm, const std::vector<std::string>& outcomes,
             bool broad_record, double text, double bonus) {
  const RankFeatures& f = c.features;
  if (!m.interventions.empty()) c.why.push_back("matches intervention " + join(m.interventions, ", "));
  if (!m.conditions.empty()) c.why.push_back("matches condition " + join(m.conditions, ", "));
  if (!m.comparators.empty()) c.why.push_back("matches comparator " + join(m.comparators, ", "));
  if (!outcomes.empty()) c.why.push_back("measures outcome " + join(outcomes, ", "));
  if (!wm.words.empty())
    c.why.push_back("contains the words " + join(wm.words, ", ") +
                    (wm.in_title.empty() ? "" : " (in the title: " + join(wm.in_title, ", ") + ")"));
  else if (m.interventions.empty() && m.conditions.empty() && c.relevance > 0)
    c.why.push_back("matches the words of the query");
  c.why.push_back(std::string(design_label(f.design)) +
                  (f.meta_analysis && f.design == Design::systematic_review ? " with meta-analysis" : "") +
                  " (evidence level " + std::to_string(f.level) +
                  (f.level == 5 && f.design != Design::other ? ", no results yet" : "") + ")");
  if (f.quality >= 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "quality %.0f/10%s", f.quality, f.quality_estimated ? " (estimated)" : "");
    c.why.push_back(buf);
  }
  if (f.graded) c.why.push_back("curated, graded results");
  if (broad_record)
    c.why.push_back("covers " + std::to_string(f.interventions.size()) + " treatments (ranked below studies of fewer)");
  char rel[96];
  std::snprintf(rel, sizeof rel, "score %.2f = relevance %.2f + evidence %.2f", text + bonus, text, bonus);
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

CompleteSpy::CompleteSpy(const DocColumns& columns, const Vocabulary& v, const std::vector<ConceptGroup>& groups,
                         std::size_t keep)
    : columns_(columns), keep_(keep) {
  for (const auto& g : groups) {
    std::vector<char> mask(columns.value_count(), 0);
    for (const auto& id : g.concepts)
      for (const auto& d : v.descendants(id))
        if (const auto code = columns.code(d)) mask[*code] = 1;
    masks_.emplace_back(g.kind, std::move(mask));
  }
}

void CompleteSpy::operator()(const Xapian::Document& doc, double weight) {
  if (keep_ == 0) return;
  const Xapian::docid did = doc.get_docid();
  const std::pair<double, Xapian::docid> entry{weight, did};
  // Ordered best first, so that the heap's top is the worst kept.
  auto better = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  if (heap_.size() == keep_ && !better(entry, heap_.front())) return;
  using List = DocColumns::ConceptList;
  const auto lists = columns_.concept_codes(did);
  for (const auto& group : masks_) {
    // Named, not a structured binding: clang (the fuzz build) refuses to capture those.
    const ConceptGroup::Kind kind = group.first;
    const std::vector<char>& mask = group.second;
    auto any_in = [&](List l) {
      for (const std::uint16_t c : lists[l])
        if (mask[c]) return true;
      return false;
    };
    const bool has =
        kind == ConceptGroup::Kind::condition
            ? any_in(List::conditions)
            : (any_in(List::comparators) || (kind == ConceptGroup::Kind::treatment &&
                                             (any_in(List::interventions) || any_in(List::secondary_interventions))));
    if (!has) return;
  }
  if (heap_.size() == keep_) {
    std::pop_heap(heap_.begin(), heap_.end(), better);
    heap_.pop_back();
  }
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), better);
}

std::vector<std::pair<double, Xapian::docid>> CompleteSpy::best() const {
  auto out = heap_;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  return out;
}

std::vector<Candidate> rescore(const Xapian::Database& db, const std::vector<Matched>& matches,
                               const DocColumns* columns, const BuiltQuery& built, const Vocabulary& v,
                               const RankingWeights& w) {
  const Question& q = built.question;
  const WordPostings postings(db, matches, built.words);
  const std::vector<QuestionWord> no_titles;
  const WordPostings titles(db, matches, w.title_concept > 0 ? built.concept_titles : no_titles);
  const WordPostings outcomes(db, matches, w.outcome_match > 0 ? built.outcomes : no_titles);
  const QuestionConcepts concepts(q, v);
  std::vector<Candidate> cands;
  cands.reserve(matches.size());
  double best_relevance = 0;
  for (const auto& m : matches) best_relevance = std::max(best_relevance, m.weight);
  for (const auto& match : matches) {
    Candidate c{match.doc, {}, std::nullopt, match.weight, 0, {}};
    c.id = match.id;
    std::optional<RankFeatures> known = columns ? columns->features(match.id) : std::nullopt;
    if (!known) known = parse_rank_features(c.doc.get_value(fields::slot_rank_features));
    // Every document of a format 2 index carries the slot (check_index_format).
    if (!known) throw Error(ErrorCode::index_corrupt, "a document has no ranking features (slot 13)");
    c.features = std::move(*known);
    const RankFeatures& f = c.features;
    const auto [matched, comparators] = concepts.count(f);
    const double text = best_relevance > 0 ? c.relevance / best_relevance : 0;
    const WordMatches wm = postings.of(match.id);
    // Relevance first: what the record has of the question (concepts, the question's own words,
    // text weight); evidence strength, worth less than one concept or rare word in all, orders
    // records of similar relevance (docs/RANKING.md).
    c.relevance_part = w.text * text + w.concept_match * matched +
                       w.comparator_match * static_cast<double>(comparators) + w.word_match * wm.weight +
                       w.title_word * wm.title_weight + w.title_concept * titles.of(match.id).title_weight +
                       w.outcome_match * outcomes.of(match.id).weight - (broad(q, f) ? w.broad_record : 0.0);
    c.evidence_part = w.per_level * (5 - f.level) + (f.quality >= 0 ? w.per_quality_point * f.quality : 0) +
                      (f.graded ? w.curated_results : 0) + (f.retracted ? w.retracted_penalty : 0);
    c.score = c.relevance_part + c.evidence_part;
    if (!q.identifiers.empty() && named_by(c.doc, q)) {
      c.named = true;
      c.score += w.identifier_match;
    }
    cands.push_back(std::move(c));
  }
  return cands;
}

void explain_hits(const Xapian::Database& db, std::vector<Candidate>& cands, std::size_t first, std::size_t last,
                  const BuiltQuery& built, const Vocabulary& v) {
  last = std::min(last, cands.size());
  if (first >= last) return;
  std::vector<Matched> page;
  for (std::size_t i = first; i < last; ++i) page.push_back({cands[i].id, cands[i].relevance, {}});
  const WordPostings postings(db, page, built.words);
  const WordPostings outcomes(db, page, built.outcomes);
  const QuestionConcepts concepts(built.question, v);
  for (std::size_t i = first; i < last; ++i) {
    Candidate& c = cands[i];
    c.why.clear();
    std::vector<std::string> measured;
    for (const auto& id : outcomes.of(c.id).words) measured.push_back(label_of(v, id));
    explain(c, concepts.labels(c.features, v), postings.of(c.id), measured, broad(built.question, c.features),
            c.relevance_part, c.evidence_part);
    if (c.named) c.why.insert(c.why.begin(), "the identifier in the query names this record");
  }
}

void sort_by_score(std::vector<Candidate>& cands) {
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
    if (std::abs(x.score - y.score) > 1e-9) return x.score > y.score;  // equal up to rounding: a tie
    return x.features.id < y.features.id;
  });
}

}  // namespace evidence::search_detail
