// search() and search_all(): the phases of a search in order (parse and build, match with facet
// counting, rescore, page, facets, did-you-mean, summary), each timed.
#include <algorithm>
#include <chrono>
#include <deque>
#include <set>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/text.hpp"
#include "search_internal.hpp"
#include "study_codec.hpp"

namespace evidence {

using namespace search_detail;

std::optional<SortOrder> parse_sort_order(std::string_view text) {
  if (text == "relevance") return SortOrder::relevance;
  if (text == "year") return SortOrder::year;
  if (text == "quality") return SortOrder::quality;
  return std::nullopt;
}

const char* sort_order_name(SortOrder order) noexcept {
  switch (order) {
    case SortOrder::relevance: return "relevance";
    case SortOrder::year: return "year";
    case SortOrder::quality: return "quality";
  }
  return "relevance";
}

void check_search_request(const SearchRequest& req) {
  // Characters, not bytes: "é" or a curly quote is one character to the user who typed it.
  const auto characters =
      std::count_if(req.q.begin(), req.q.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  if (static_cast<std::size_t>(characters) > max_query_length)
    throw Error(ErrorCode::query_too_long,
                "the query is longer than " + std::to_string(max_query_length) + " characters");
  if (req.year_min && req.year_max && *req.year_min > *req.year_max)
    throw Error(ErrorCode::invalid_argument, "year_min is after year_max: the range is empty");
  if (req.per_page == 0 || req.per_page > max_per_page)
    throw Error(ErrorCode::invalid_argument, "per_page must be between 1 and " + std::to_string(max_per_page));
  // Divided, not multiplied: page * per_page could wrap around for a huge page.
  if (req.page == 0 || req.page > max_page_depth / req.per_page)
    throw Error(ErrorCode::invalid_argument,
                "page is out of range (at most " + std::to_string(max_page_depth) + " results can be paged)");
}

namespace {

// Sorts by a value slot, newest or best first, ties by relevance.
void apply_sort(Xapian::Enquire& enquire, SortOrder order) {
  if (order == SortOrder::year)
    enquire.set_sort_by_value_then_relevance(fields::slot_year, true);
  else if (order == SortOrder::quality)
    enquire.set_sort_by_value_then_relevance(fields::slot_quality, true);
}

std::string make_snippet(const Xapian::MSet& mset, const Study& s) {
  std::string text = s.abstract_text();
  if (text.empty()) text = s.summary.clinician;
  if (text.empty()) return {};
  // Xapian escapes the text and marks matched terms; our <mark> is the only markup it adds.
  return mset.snippet(text, 300, Xapian::Stem("english"), 0, "<mark>", "</mark>", "…");
}

// Whether anything matches: a boolean match that stops at the first record.
bool has_match(const Xapian::Database& db, const BuiltQuery& b, bool include_retracted) {
  Xapian::Enquire enquire(db);
  enquire.set_query(full_query(b, include_retracted));
  enquire.set_weighting_scheme(Xapian::BoolWeight());
  return !enquire.get_mset(0, 1, 1).empty();
}

class PhaseClock {
 public:
  explicit PhaseClock(std::vector<std::pair<std::string, double>>& phases) : phases_(phases) { phases_.clear(); }
  void operator()(const char* name) {
    const auto now = std::chrono::steady_clock::now();
    phases_.emplace_back(name, std::chrono::duration<double, std::milli>(now - start_).count());
    start_ = now;
  }

 private:
  std::vector<std::pair<std::string, double>>& phases_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The BM25 matches that are rescored: the same for every page of a question.
std::size_t enquire_pool(const SearchRequest& req) {
  return std::max(req.rescore_depth, req.with_summary ? req.summary_depth : 0);
}

// The requested page: from the rescored candidates, and past them in BM25 order after the pool,
// less the records that joined the candidates from further down (BuiltQuery::complete). The pool
// does not grow with the page: rescoring a larger pool for a deeper page reordered the records
// before it, and paging showed some twice and others never (413 of 631 records over 7 pages).
void page_hits(SearchResponse& resp, std::vector<Candidate>& cands, const Xapian::MSet& mset, Xapian::Enquire& enquire,
               const SearchRequest& req, const Xapian::Database& db, const BuiltQuery& b, const Vocabulary& v) {
  const std::size_t first = (req.page - 1) * req.per_page;
  const std::size_t last = first + req.per_page;
  if (first < cands.size()) {
    explain_hits(db, cands, first, last, b, v);
    for (std::size_t i = first; i < std::min(cands.size(), last); ++i) {
      Hit h;
      h.study = cands[i].record();
      h.relevance = cands[i].relevance;
      h.score = cands[i].score;
      h.rank = i + 1;
      h.snippet = make_snippet(mset, h.study);
      h.why = cands[i].why;
      resp.hits.push_back(std::move(h));
    }
  }
  if (last <= cands.size() || mset.size() < enquire_pool(req) || first >= resp.found) return;
  std::set<Xapian::docid> pooled, joined;
  for (auto it = mset.begin(); it != mset.end(); ++it) pooled.insert(*it);
  for (const auto& c : cands)
    if (!pooled.count(c.id)) joined.insert(c.id);
  const std::size_t from = std::max(first, cands.size());
  std::size_t skip = from - cands.size();
  const Xapian::MSet deep =
      enquire.get_mset(mset.size(), static_cast<Xapian::doccount>(skip + (last - from) + joined.size()));
  std::size_t rank = from;
  for (auto it = deep.begin(); it != deep.end() && rank < last; ++it) {
    if (joined.count(*it)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    Hit h;
    h.study = decode_stored_study(it.get_document().get_data());
    h.relevance = h.score = it.get_weight();
    h.rank = ++rank;
    h.snippet = make_snippet(deep, h.study);
    h.why = {"text relevance " + std::to_string(h.relevance)};
    resp.hits.push_back(std::move(h));
  }
}

// The word of the records nearest to a word no record has: within one edit (two from nine
// letters, as Vocabulary::closest_word), the nearest first, then the most frequent. The words
// with the same first two letters are read from the term list; Xapian's spelling table holds only
// vocabulary and MeSH words (title and abstract words made it the largest cost of indexing).
std::string closest_index_word(const Xapian::Database& db, const std::string& word) {
  const std::size_t limit = word.size() >= 9 ? 2 : 1;
  std::string best;
  std::size_t best_distance = limit + 1;
  Xapian::doccount best_freq = 0;
  // Two letters: a typo in the first two is rarer than the cost of reading ten times the terms.
  const std::string first = word.substr(0, 2);
  for (auto it = db.allterms_begin(first); it != db.allterms_end(first); ++it) {
    const std::string term = *it;
    if ((term.size() > word.size() ? term.size() - word.size() : word.size() - term.size()) > limit) continue;
    const std::size_t d = edit_distance(word, term, limit);
    if (d > limit || d == 0) continue;
    if (d < best_distance || (d == best_distance && it.get_termfreq() > best_freq)) {
      best = term;
      best_distance = d;
      best_freq = it.get_termfreq();
    }
  }
  return best;
}

// "Did you mean": only words of the free text that no record has are changed (a recognised word
// never is), each to a word the index or the vocabulary knows, and the suggestion is offered
// only when it finds more than the question did.
std::string did_you_mean(IndexReader::Impl& impl, const Vocabulary& v, const SearchRequest& req, const BuiltQuery& b) {
  const Xapian::Database& db = impl.db;
  const Xapian::Stem stem("english");
  std::set<std::string> unknown;
  std::string spaced = b.question.free_text;
  std::replace(spaced.begin(), spaced.end(), '"', ' ');
  for (const auto& w : split_words(normalise(spaced)))
    if (w.size() > 3 && db.get_termfreq(w) == 0 && db.get_termfreq("Z" + stem(w)) == 0) unknown.insert(w);
  if (unknown.empty()) return {};
  std::string corrected, words;
  bool changed = false;
  for (const auto& t : tokenize(req.q)) {
    std::string word = t.original;
    const std::string lower = normalise(word);
    if (unknown.count(lower)) {
      // A word of the records ("matress": mattress), else of the vocabulary; both are real terms.
      std::string sug = closest_index_word(db, lower);
      if (sug.empty()) sug = v.closest_word(fold_word(lower));
      if (!sug.empty() && sug != lower) {
        changed = true;
        word = sug;
      }
    }
    corrected += (corrected.empty() ? "" : " ") + word;
  }
  if (!changed) return {};
  // It finds more: the question's own words, as corrected, are found together in some record
  // (as typed, no record has them all, since one of them is in none).
  SearchRequest again = req;
  again.q = corrected;
  const BuiltQuery c = build_query(impl, v, again);
  std::vector<Xapian::Query> all;
  for (const auto& w : c.words) all.push_back(Xapian::Query(Xapian::Query::OP_OR, w.terms.begin(), w.terms.end()));
  if (all.empty()) return {};
  Xapian::Enquire enquire(db);
  enquire.set_query(Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end()));
  enquire.set_weighting_scheme(Xapian::BoolWeight());
  return enquire.get_mset(0, 1, 1).empty() ? std::string() : corrected;
}

// The matches to rescore: the BM25 pool, and the best of the records annotated with every concept
// of the question that the pool missed. Annotation terms weigh nothing in BM25, so a broad
// treatment's many one-word forms ("exercises", "physio") can fill the pool with records that
// mention them often, leaving out the records about exactly the question (docs/RANKING.md).
// With the decoded columns the spy noted them during the match; over shards a second match finds them.
bool wants_complete(const BuiltQuery& b, const SearchRequest& req) {
  return !b.complete.empty() && req.complete_depth > 0 && req.sort == SortOrder::relevance;
}

std::vector<Matched> candidates(const Xapian::Database& db, const Xapian::MSet& mset, const BuiltQuery& b,
                                const SearchRequest& req, std::size_t pool, const std::deque<CompleteSpy>& spies) {
  std::vector<Matched> out;
  out.reserve(mset.size());
  for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back({*it, it.get_weight(), it.get_document()});
  // Only when the pool is full (else it already holds every match) and ranked by relevance.
  if (!wants_complete(b, req) || mset.size() < pool) return out;
  std::vector<std::pair<double, Xapian::docid>> best;
  for (std::size_t i = 0; i < b.complete.size(); ++i) {
    if (!spies.empty()) {
      const auto kept = spies[i].best();
      best.insert(best.end(), kept.begin(), kept.end());
      continue;
    }
    Xapian::Enquire enquire(db);
    enquire.set_query(
        Xapian::Query(Xapian::Query::OP_FILTER, full_query(b, req.include_retracted), complete_query(b.complete[i])));
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    enquire.set_time_limit(query_time_limit_seconds);
    const Xapian::MSet complete = enquire.get_mset(0, static_cast<Xapian::doccount>(req.complete_depth));
    for (auto it = complete.begin(); it != complete.end(); ++it) best.emplace_back(it.get_weight(), *it);
  }
  std::set<Xapian::docid> have;
  for (const auto& m : out) have.insert(m.id);
  for (const auto& [weight, id] : best)
    if (have.insert(id).second) out.push_back({id, weight, db.get_document(id, Xapian::DOC_ASSUME_VALID)});
  return out;
}

// Only records with a reportable result can change the summary (synthesise skips the rest), and
// none when the question names no treatment (synthesise then only says that one is needed).
EvidenceSummary summarise(const std::vector<Candidate>& cands, const Question& question, const Vocabulary& v,
                          std::size_t depth, PhaseClock& phase) {
  const std::size_t considered = question.interventions.empty() ? 0 : std::min(cands.size(), depth);
  std::vector<Study> top;
  top.reserve(considered);
  for (std::size_t i = 0; i < considered; ++i) {
    if (cands[i].features.reportable) top.push_back(decode_synthesis_form(cands[i].doc));
  }
  phase("summary_records");
  EvidenceSummary summary = synthesise(top, question, v);
  phase("summary");
  return summary;
}

}  // namespace

SearchResponse search(IndexReader& reader, const Vocabulary& v, const SearchRequest& req, const RankingWeights& w) {
  const auto t0 = std::chrono::steady_clock::now();
  check_search_request(req);
  SearchResponse resp;
  resp.page = req.page;
  resp.per_page = req.per_page;
  IndexReader::Impl& impl = IndexAccess::of(reader);
  with_reopen_retry(impl, "searching", [&](Xapian::Database& db) {
    PhaseClock phase(resp.phases);  // a retry after a reopen starts again
    resp.hits.clear();
    BuiltQuery b = build_query(impl, v, req);
    if (b.relaxable && !has_match(db, b, req.include_retracted)) {
      b = build_query(impl, v, req, true);
      resp.treatments_relaxed = true;
    }
    phase("parse");
    resp.question = b.question;
    Xapian::Enquire enquire(db);
    enquire.set_query(full_query(b, req.include_retracted));
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    enquire.set_time_limit(query_time_limit_seconds);
    const std::size_t pool = enquire_pool(req);
    // Counting every match of a broad question in a large index costs more than the rest of the
    // search: past facet_sample examined records Xapian may stop, and counts are scaled.
    const auto check =
        static_cast<Xapian::doccount>(std::min<std::size_t>(db.get_doccount(), std::max(pool, req.facet_sample)));
    FacetCounter facets(impl, check);
    facets.attach(enquire);
    // A deque: Enquire keeps pointers to the spies, and a spy cannot be moved.
    std::deque<CompleteSpy> complete;
    if (facets.columns() && wants_complete(b, req)) {
      for (const auto& groups : b.complete) {
        complete.emplace_back(*facets.columns(), v, groups, req.complete_depth);
        enquire.add_matchspy(&complete.back());
      }
    }
    apply_sort(enquire, req.sort);
    const Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(pool), check);
    phase("match");
    const MatchCounts counts = facets.counts(mset, db);
    resp.found = counts.found;
    resp.found_exact = counts.found_exact;
    resp.facets_exact = counts.facets_exact;
    // Candidates are rescored from their ranking features; the stored record is decoded only for
    // the hits on the page and the records the graded summary can use.
    std::vector<Candidate> cands =
        rescore(db, candidates(db, mset, b, req, pool, complete), facets.columns().get(), b, v, w);
    phase("rescore");
    if (req.sort == SortOrder::relevance) sort_by_score(cands);
    // A summary alone needs neither the page of hits, nor facets, nor spelling suggestions.
    if (req.with_hits) {
      page_hits(resp, cands, mset, enquire, req, db, b, v);
      phase("hits");
      resp.facets = facets.facets(v, counts.scale);
      resp.did_you_mean = did_you_mean(impl, v, req, b);  // costs a query only for unknown words
      phase("facets");
    }
    if (req.with_summary) resp.summary = summarise(cands, resp.question, v, req.summary_depth, phase);
    return 0;
  });
  resp.search_time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return resp;
}

Study MatchedStudies::at(std::size_t i) const { return decode_stored_study(stored_.at(i)); }

std::vector<Study> search_all(IndexReader& reader, const Vocabulary& v, const SearchRequest& req, std::size_t limit) {
  const MatchedStudies matched = match_all(reader, v, req, limit);
  std::vector<Study> out;
  out.reserve(matched.size());
  for (std::size_t i = 0; i < matched.size(); ++i) out.push_back(matched.at(i));
  return out;
}

MatchedStudies match_all(IndexReader& reader, const Vocabulary& v, const SearchRequest& req, std::size_t limit) {
  std::vector<std::string> out;
  IndexReader::Impl& impl = IndexAccess::of(reader);
  with_reopen_retry(impl, "exporting", [&](Xapian::Database& db) {
    out.clear();
    Xapian::Enquire enquire(db);
    BuiltQuery b = build_query(impl, v, req);
    if (b.relaxable && !has_match(db, b, req.include_retracted)) b = build_query(impl, v, req, true);
    enquire.set_query(full_query(b, req.include_retracted));
    enquire.set_time_limit(query_time_limit_seconds);
    apply_sort(enquire, req.sort);
    const Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(limit));
    out.reserve(mset.size());
    for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back(it.get_document().get_data());
    return 0;
  });
  return MatchedStudies(std::move(out));
}

}  // namespace evidence
