#pragma once
// The rooms of search() (docs/DESIGN.md), private to the core library:
//   query_build.cpp  the question and the request as a Xapian query and a filter
//   facets.cpp       counting facets while Xapian matches, and the estimate of `found`
//   ranking.cpp      rescoring candidates by evidence strength, with the "why" of each rank
//   searcher.cpp     search() and search_all(): the phases in order
#include <xapian.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evidence/search.hpp"
#include "index_internal.hpp"
#include "packed_values.hpp"

namespace evidence::search_detail {

// ---- query_build.cpp
// A word of the question's free text (one the vocabulary does not know), as ranking weighs it.
struct QuestionWord {
  std::string word;
  std::vector<std::string> terms, title_terms;  // index terms that carry it: anywhere, in the title
  double weight = 0;  // rarity: 0 in a tenth of the records or more, 1 in a hundredth or fewer
};

// Concepts of which a record must carry one (directly or through a narrower concept), and where:
// a treatment as an intervention or as the comparator, a condition, or a comparator.
struct ConceptGroup {
  enum class Kind { treatment, condition, comparator } kind = Kind::treatment;
  std::vector<std::string> concepts;
};

struct BuiltQuery {
  Xapian::Query query;   // what ranks
  Xapian::Query filter;  // what restricts
  // Sets of the question's concept groups, each of at least two groups (each treatment, or one
  // group for "A or B"; each condition; each comparator): for each set, the best matches annotated
  // with all of its groups join the candidates (search()), since annotation terms weigh nothing in
  // BM25 and a record about exactly the question can rank below 200 others there. "A or B" has a
  // second set with each treatment its own group: the records that compare A with B, which a
  // patient asking "operation or physio" wants first and which the best matches of either one can
  // leave out (Delitto 2015, surgery versus physical therapy for stenosis, was not among the 200).
  std::vector<std::vector<ConceptGroup>> complete;
  Question question;
  std::vector<QuestionWord> words;
  // Each asked treatment with the title terms of its one-word forms (title_terms only), for
  // RankingWeights::title_concept.
  std::vector<QuestionWord> concept_titles;
  // Each asked outcome (not the generic "benefit") with its annotation term (terms only), for
  // RankingWeights::outcome_match.
  std::vector<QuestionWord> outcomes;
  // Several treatments asked for together: when no record has all of them, the search is run
  // again with `relaxed`, where any one will do.
  bool relaxable = false;
};
BuiltQuery build_query(IndexReader::Impl& index, const Vocabulary& vocabulary, const SearchRequest& request,
                       bool relaxed = false);
Xapian::Query filter_and(Xapian::Query base, const Xapian::Query& filter);
// The records annotated with every group, as a boolean query.
Xapian::Query complete_query(const std::vector<ConceptGroup>& groups);
// The query Xapian runs: ranked part, filters, retracted records left out unless asked for.
Xapian::Query full_query(const BuiltQuery& built, bool include_retracted);

// ---- facets.cpp
struct MatchCounts {
  std::uint64_t found = 0;
  bool found_exact = true, facets_exact = true;
  double scale = 1.0;  // facet counts are multiplied by this when they were counted on a sample
};
// Counts facets over the documents the matcher examines, one of two ways: from the decoded
// columns of one local index (an array lookup per document), or with Xapian's own spies, one per
// value slot, over several shards or a remote one (Xapian can run its own spies remotely, and over
// several shards it hands a spy each shard's own docids, which the columns cannot serve).
class FacetCounter {
 public:
  FacetCounter(IndexReader::Impl& index, Xapian::doccount sample);
  ~FacetCounter();
  void attach(Xapian::Enquire& enquire);
  // The number of matches (estimated from the sample when Xapian stopped early) and the scale.
  MatchCounts counts(const Xapian::MSet& mset, const Xapian::Database& db) const;
  // Facets in the API's order: design, intervention, condition, outcome, evidence_level, quality, year.
  std::vector<std::pair<std::string, std::vector<FacetCount>>> facets(const Vocabulary& vocabulary, double scale) const;
  const std::shared_ptr<const DocColumns>& columns() const { return columns_; }

 private:
  struct Spies;
  std::shared_ptr<const DocColumns> columns_;
  Xapian::doccount sample_;
  std::unique_ptr<Spies> spies_;
};

// ---- ranking.cpp
// A matching record as ranking sees it; the stored record is decoded only when needed.
// The boolean term of an identifier of a question (Question::identifiers), from the field registry.
std::string identifier_term(const std::string& kind, const std::string& value);

// A match to rescore: from the BM25 candidates or from the records with every concept of the question.
struct Matched {
  Xapian::docid id = 0;
  double weight = 0;  // BM25 under the question's ranked query
  Xapian::Document doc;
};

struct Candidate {
  Xapian::Document doc;
  RankFeatures features;
  std::optional<Study> study;
  double relevance = 0, score = 0;
  std::vector<std::string> why;  // filled by explain_hits(), for the hits on the page
  const Study& record();
  double relevance_part = 0, evidence_part = 0;  // the score's two parts (docs/RANKING.md)
  bool named = false;                            // an identifier of the question names the record
  // In the searched database: over several shards doc.get_docid() is the shard's own docid.
  Xapian::docid id = 0;
};
// The best-weighted matches that carry every concept group (BuiltQuery::complete), noted from the
// decoded columns while Xapian matches, so that finding them costs no second match. It sees the
// documents the matcher examines: every match up to the facet sample, then those that could
// still reach the candidate pool.
class CompleteSpy : public Xapian::MatchSpy {
 public:
  CompleteSpy(const DocColumns& columns, const Vocabulary& vocabulary, const std::vector<ConceptGroup>& groups,
              std::size_t keep);
  void operator()(const Xapian::Document& doc, double weight) override;
  std::string name() const override { return "evidence::CompleteSpy"; }
  // Weight and docid, best first (ties by docid).
  std::vector<std::pair<double, Xapian::docid>> best() const;

 private:
  const DocColumns& columns_;
  std::vector<std::pair<ConceptGroup::Kind, std::vector<char>>> masks_;  // per group: which codes count
  std::size_t keep_;
  std::vector<std::pair<double, Xapian::docid>> heap_;  // the worst kept on top
};

// Every match rescored by evidence strength (docs/RANKING.md), with the reasons.
std::vector<Candidate> rescore(const Xapian::Database& db, const std::vector<Matched>& matches,
                               const DocColumns* columns, const BuiltQuery& built, const Vocabulary& vocabulary,
                               const RankingWeights& weights);
// The "why" of candidates [first, last) (the page's hits): what matched, design, quality, score.
void explain_hits(const Xapian::Database& db, std::vector<Candidate>& candidates, std::size_t first, std::size_t last,
                  const BuiltQuery& built, const Vocabulary& vocabulary);
// Best score first; ties by record id, so every way of splitting the index ranks alike.
void sort_by_score(std::vector<Candidate>& candidates);

}  // namespace evidence::search_detail
