#pragma once
// Searching the index: relevance (BM25 over title, abstract and MeSH, title weighted higher)
// combined with evidence strength, filters, exact facet counts, snippets and an explanation of
// every hit's rank. Throws evidence::Error: invalid_argument for a bad request (page too deep,
// bad field syntax), index_unavailable/index_corrupt/internal from the index.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/index.hpp"
#include "evidence/query.hpp"
#include "evidence/synthesis.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

// The order of the hits: relevance (text and evidence strength, docs/RANKING.md), newest first,
// or highest quality first.
enum class SortOrder { relevance, year, quality };
// "relevance", "year", "quality" -> the order; std::nullopt for anything else.
std::optional<SortOrder> parse_sort_order(std::string_view text);
const char* sort_order_name(SortOrder order) noexcept;

struct SearchRequest {
  std::string q;
  std::size_t page = 1, per_page = 10;
  SortOrder sort = SortOrder::relevance;
  std::vector<std::string> designs, interventions, conditions, outcomes;  // facet filters (ORed within a field)
  std::optional<int> year_min, year_max;
  std::optional<double> quality_min;
  bool include_retracted = false;
  // Only these records (ids), when not empty: which of a few known records match the question
  // (the feed asks this of the records a run added or updated).
  std::vector<std::string> only_ids;
  bool with_summary = true;
  // Hits, facets and the did-you-mean suggestion; false when only the graded summary and the
  // number of matches are wanted (/api/summary).
  bool with_hits = true;
  std::size_t summary_depth = 200;  // top matches that feed the graded summary
  std::size_t rescore_depth = 100;  // top BM25 matches rescored with evidence strength (without a summary)
  std::size_t complete_depth = 50;  // best matches with every concept of the question, rescored too
  // Facets are counted exactly over this many matching records at least; past it Xapian may stop
  // early and the counts are scaled up from the records it examined (facets_exact = false).
  std::size_t facet_sample = 5000;
};

// Ranking weights, documented in docs/RANKING.md; tests pin them.
// score = text * (BM25 / best BM25 in the candidate pool)
//       + per_level * (5 - evidence level)        guideline or SR with meta-analysis = level 1
//       + per_quality_point * quality (0-10)
//       + concept_match * matched question concepts (annotated intervention, condition)
//       + comparator_match * matched comparator concepts
//       + word_match * rarity of the question's own words, title_word * the same in the title
//       + title_concept * asked treatments the title names
//       + outcome_match * asked outcomes the record measures (annotated)
//       + curated_results when the record carries curated, graded results
//       + retracted_penalty for retracted records (only shown when asked for)
struct RankingWeights {
  // Relevance: what a record has of the question.
  double text = 1.5;  // BM25 over the best candidate's; below concept_match: an annotated match outranks a mention
  // Above text + title_concept + all evidence (3.5): a record with one more concept ranks first.
  double concept_match = 3.6;
  double comparator_match = 3.6;
  double word_match = 3.6;     // a word the vocabulary does not know, times its rarity (the rarest 1)
  double title_word = 0.5;     // the same word in the title
  double title_concept = 0.5;  // per asked treatment named in the title by a one-word form
  double outcome_match = 1.0;  // per asked outcome the record is annotated as measuring
  // Less for a record annotated with eight treatments or more (the guidelines and overviews of
  // many treatments), when the question names a treatment: it is about each of them less than a
  // study of that treatment. Less than half a concept, so a record with more of the question still
  // ranks first.
  double broad_record = 1.5;
  // Evidence strength, at most 1.5 in all: with text and title less than one matched concept, so
  // that it orders records of similar relevance and never lifts a record above one that has more
  // of the question.
  double per_level = 0.25;          // per level above 5 (level 1: 1.0)
  double per_quality_point = 0.03;  // quality 0-10
  double curated_results = 0.2;
  double retracted_penalty = -10.0;
  double identifier_match = 100.0;  // the record an identifier in the query names comes first
};

struct Hit {
  Study study;
  double relevance = 0, score = 0;
  std::size_t rank = 0;
  std::string snippet;  // HTML-escaped, matched terms in <mark>
  std::vector<std::string> why;
};

struct FacetCount {
  std::string value, label;
  std::uint64_t count = 0;
};

struct SearchResponse {
  Question question;
  std::string did_you_mean;
  // The question named several treatments, no record has all of them, and the hits are the
  // records of any of them (best first: those with more of them).
  bool treatments_relaxed = false;
  std::uint64_t found = 0;
  bool found_exact = true, facets_exact = true;
  std::size_t page = 1, per_page = 10;
  std::vector<Hit> hits;
  std::vector<std::pair<std::string, std::vector<FacetCount>>> facets;
  std::optional<EvidenceSummary> summary;
  double search_time_ms = 0;
  // Where the time went (phase name, milliseconds), for benchmarks and profiling.
  std::vector<std::pair<std::string, double>> phases;
};

// Limits that keep one request from taking the server down.
inline constexpr std::size_t max_query_length = 1000;
inline constexpr std::size_t max_per_page = 100;
inline constexpr std::size_t max_page_depth = 10000;  // page * per_page
// Time the Xapian matcher may spend on one query; past it the counts become estimates.
inline constexpr double query_time_limit_seconds = 2.0;

// Throws Error naming what is wrong with the request: query_too_long for a query longer than
// max_query_length; invalid_argument for per_page outside 1..max_per_page or a page past
// max_page_depth.
void check_search_request(const SearchRequest& request);

// Answers a search request over the reader's current revision.
//
//   reader      one thread's reader; refresh() it first to see the newest commit
//   vocabulary  the concepts the question is understood with
//   request     the question, paging, sort, filters and what to compute (hits, summary)
//   weights     the ranking weights (docs/RANKING.md); tests pin the defaults
//
// Returns the parsed question, found (estimated past facet_sample, found_exact says so), the
// page of hits with their "why", facets and, with request.with_summary, the graded summary of
// the top summary_depth matches. Retries once when a writer discarded the revision being read.
// Throws Error: invalid_argument (a bad request, see check_search_request, or query syntax
// Xapian cannot parse), index_unavailable, index_corrupt, internal.
//
//   SearchRequest r;
//   r.q = "TENS vs sham chronic low back pain";
//   const SearchResponse answer = search(reader, vocabulary, r);
//   for (const Finding& f : answer.summary->findings) std::cout << f.clinician_sentence << "\n";
SearchResponse search(IndexReader& reader, const Vocabulary& vocabulary, const SearchRequest& request,
                      const RankingWeights& weights = {});

// The studies matching a request, read under one index revision and decoded one at a time, so
// that a large export holds only their compact stored forms and the study being written (issue
// 20: 5,000 decoded studies, their JSON and its text at once took about 150 MB per export).
// at() throws Error(index_corrupt) for a stored form it cannot decode.
class MatchedStudies {
 public:
  explicit MatchedStudies(std::vector<std::string> stored) : stored_(std::move(stored)) {}
  std::size_t size() const { return stored_.size(); }
  Study at(std::size_t i) const;

 private:
  std::vector<std::string> stored_;
};

// Studies matching the request, in its sort order (relevance: text relevance alone), at most
// limit of them, for export and the feed (retracted ones only with request.include_retracted).
// Throws as search() does.
MatchedStudies match_all(IndexReader& reader, const Vocabulary& vocabulary, const SearchRequest& request,
                         std::size_t limit);
// match_all(), every study decoded.
std::vector<Study> search_all(IndexReader& reader, const Vocabulary& vocabulary, const SearchRequest& request,
                              std::size_t limit);

}  // namespace evidence
