#include "evidence/search.hpp"

#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/text.hpp"
#include "index_internal.hpp"
#include "packed_values.hpp"
#include "study_codec.hpp"

namespace evidence {

using nlohmann::json;

namespace {

// Counts a multi-valued facet kept one value per slot (see fields.hpp): Xapian's own
// ValueCountMatchSpy per slot, so remote shards can run it too; a record has each value once,
// so the sum over the slots is the number of records.
class PositionalCounts {
 public:
  explicit PositionalCounts(Xapian::valueno first) {
    for (unsigned k = 0; k < fields::facet_positions; ++k) spies_.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(first + k));
  }
  void attach(Xapian::Enquire& enquire) {
    for (auto& s : spies_) enquire.add_matchspy(s.get());
  }
  std::map<std::string, std::uint64_t> counts() const {
    std::map<std::string, std::uint64_t> m;
    for (const auto& s : spies_)
      for (auto it = s->values_begin(); it != s->values_end(); ++it) m[*it] += it.get_termfreq();
    return m;
  }

 private:
  std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies_;
};

// Counts facets from the decoded columns: an array lookup per examined document.
// The matcher walks documents in docid order and examines every match until it has seen
// `sample` of them; past that it skips those that cannot reach the top. So the first `sample`
// matches are an unbiased prefix of the docid range: only they are counted, and the share of the
// range they cover estimates the total better than Xapian does (its estimate assumes the query's
// terms independent, and synonyms are not).
class ColumnFacetSpy : public Xapian::MatchSpy {
 public:
  ColumnFacetSpy(const DocColumns& columns, std::uint64_t sample) : columns_(columns), sample_(sample), counts_(columns.value_count(), 0) {}
  void operator()(const Xapian::Document& doc, double) override {
    if (counted_ == sample_) return;
    const Xapian::docid did = doc.get_docid();
    ++counted_;
    last_docid_ = did;
    for (const std::uint16_t code : columns_.facets(did)) ++counts_[code];
  }
  std::string name() const override { return "evidence::ColumnFacetSpy"; }
  std::uint64_t counted() const { return counted_; }
  // Docid of the last counted document: the counted ones are every match up to it.
  Xapian::docid last_docid() const { return last_docid_; }
  std::map<std::string, std::uint64_t> counts(char kind) const {
    std::map<std::string, std::uint64_t> m;
    for (std::size_t code = 0; code < counts_.size(); ++code) {
      const std::string& v = columns_.value(static_cast<std::uint16_t>(code));
      if (counts_[code] && v.size() > 1 && v[0] == kind) m[v.substr(1)] = counts_[code];
    }
    return m;
  }

 private:
  const DocColumns& columns_;
  std::uint64_t sample_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t counted_ = 0;
  Xapian::docid last_docid_ = 0;
};

Xapian::Query or_terms(const std::string& prefix, const std::vector<std::string>& values) {
  std::vector<Xapian::Query> qs;
  for (const auto& v : values) qs.emplace_back(prefix + v);
  if (qs.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}

Xapian::Query filter_and(Xapian::Query base, const Xapian::Query& filter) {
  if (filter.empty()) return base;
  if (base.empty()) return filter;
  return Xapian::Query(Xapian::Query::OP_FILTER, base, filter);
}

std::string make_snippet(const Xapian::MSet& mset, const Study& s) {
  std::string text = s.abstract_text();
  if (text.empty()) text = s.summary.clinician;
  if (text.empty()) return {};
  // Xapian escapes the text and marks matched terms; our <mark> is the only markup it adds.
  return mset.snippet(text, 300, Xapian::Stem("english"), 0,
                      "<mark>", "</mark>", "…");
}

struct Built {
  Xapian::Query query;        // what ranks
  Xapian::Query filter;       // what restricts
  Question question;
};

Built build_query(IndexReader::Impl& index, const Vocabulary& v, const SearchRequest& req) {
  const Xapian::Database& db = index.db;
  Built b;
  b.question = parse_question(req.q, v);
  const Question& q = b.question;
  std::vector<Xapian::Query> parts;

  // Free text through the QueryParser: phrases, AND/OR/NOT, stemming, synonyms from the vocabulary.
  if (!q.free_text.empty()) {
    Xapian::QueryParser qp;
    qp.set_database(db);
    qp.set_stemmer(Xapian::Stem("english"));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(Xapian::Query::OP_OR);
    qp.add_prefix("title", std::string(fields::title));
    const unsigned flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_AUTO_SYNONYMS |
                           Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;
    try {
      parts.push_back(qp.parse_query(q.free_text, flags));
    } catch (const Xapian::QueryParserError& e) {
      throw Error(ErrorCode::invalid_argument, "could not parse the query text: " + e.get_msg());
    }
  }
  // Concepts: the one-word forms of a recognised concept rank as text (so a study that only
  // mentions them still matches), and the annotation terms make the match exact.
  // A concept as text: its one-word forms (abbreviations, synonyms, variants, one-word preferred
  // terms), for it and its descendants. Multi-word forms are left to the annotation terms:
  // phrase checks read the position lists of every candidate, and at 100,000 records they made a
  // PICO question take 200 ms instead of 40 (docs/BENCHMARKS.md). A quoted phrase typed by the
  // user is still a phrase (QueryParser above).
  auto concept_text = [&](const std::string& id, bool with_descendants = true) {
    std::vector<Xapian::Query> forms;
    std::set<std::string> seen;
    auto add_form = [&](const std::string& text) {
      const auto words = split_words(normalise(text));
      if (words.size() != 1 || !seen.insert(words[0]).second) return;
      // Most forms (misspellings, rare abbreviations) never occur; each would still cost a
      // posting-list lookup on every query.
      if (index.has_term(words[0])) forms.emplace_back(words[0]);
    };
    for (const auto& d : with_descendants ? v.descendants(id) : std::vector<std::string>{id}) {
      const Concept* c = v.find(d);
      if (!c) continue;
      add_form(c->preferred);
      for (const auto& a : c->abbreviations) add_form(a);
      for (const auto& t : c->synonyms) add_form(t);
      for (const auto& t : c->variants) add_form(t);
    }
    return Xapian::Query(Xapian::Query::OP_OR, forms.begin(), forms.end());
  };
  auto add_concepts = [&](const std::vector<std::string>& ids, std::string_view prefix, bool with_descendants = true) {
    for (const auto& id : ids) {
      Xapian::Query annotated(std::string(prefix) + id);
      parts.push_back(Xapian::Query(Xapian::Query::OP_OR, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, annotated, 0),
                                    concept_text(id, with_descendants)));
    }
  };
  // A named treatment must be there: studies about it (annotated) or mentioning it. The
  // treatments form an AND that also carries their weight; everything else only adds weight
  // (AND_MAYBE), so each concept's posting lists are read once.
  std::vector<Xapian::Query> musts;
  std::swap(musts, parts);
  add_concepts(q.interventions, fields::intervention);
  std::swap(musts, parts);
  add_concepts(q.conditions, fields::condition);
  for (const auto& c : q.comparators) {
    const Concept* k = v.find(c);
    // A comparator ranks by its own words only: "physical therapy" has some fifty modalities
    // below it, and ORing all their words cost more than the rest of the query while ranking
    // studies of any one modality up (the annotated comparator still counts, in rescoring).
    if (k && k->kind == "intervention") add_concepts({c}, fields::comparator, false);
  }
  Xapian::Query ranked = parts.empty() ? Xapian::Query() : Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
  if (!musts.empty()) {
    Xapian::Query must(Xapian::Query::OP_AND, musts.begin(), musts.end());
    ranked = ranked.empty() ? must : Xapian::Query(Xapian::Query::OP_AND_MAYBE, must, ranked);
  }
  b.query = ranked;

  // Filters: expert field syntax and request parameters.
  Xapian::Query filter;
  filter = filter_and(filter, or_terms(std::string(fields::intervention), q.filter_interventions));
  filter = filter_and(filter, or_terms(std::string(fields::condition), q.filter_conditions));
  filter = filter_and(filter, or_terms(std::string(fields::outcome), q.filter_outcomes));
  filter = filter_and(filter, or_terms(std::string(fields::design), q.filter_designs));
  filter = filter_and(filter, or_terms(std::string(fields::intervention), req.interventions));
  filter = filter_and(filter, or_terms(std::string(fields::condition), req.conditions));
  filter = filter_and(filter, or_terms(std::string(fields::outcome), req.outcomes));
  filter = filter_and(filter, or_terms(std::string(fields::design), req.designs));
  // Designs named in the question ("reviews", "trials") restrict too.
  if (!q.designs.empty()) filter = filter_and(filter, or_terms(std::string(fields::design), q.designs));
  std::optional<int> ymin = req.year_min ? req.year_min : q.year_min;
  std::optional<int> ymax = req.year_max ? req.year_max : q.year_max;
  if (ymin || ymax)
    filter = filter_and(filter, Xapian::Query(Xapian::Query::OP_VALUE_RANGE, fields::slot_year,
                                              Xapian::sortable_serialise(ymin.value_or(0)), Xapian::sortable_serialise(ymax.value_or(9999))));
  std::optional<double> qmin = req.quality_min ? req.quality_min : q.quality_min;
  if (qmin || q.quality_max)
    filter = filter_and(filter, Xapian::Query(Xapian::Query::OP_VALUE_RANGE, fields::slot_quality,
                                              Xapian::sortable_serialise(qmin.value_or(0)), Xapian::sortable_serialise(q.quality_max.value_or(10))));
  b.filter = filter;
  return b;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

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
  if (req.q.size() > max_query_length)
    throw Error(ErrorCode::invalid_argument, "the query is longer than " + std::to_string(max_query_length) + " characters");
  if (req.per_page == 0 || req.per_page > max_per_page)
    throw Error(ErrorCode::invalid_argument, "per_page must be between 1 and " + std::to_string(max_per_page));
  if (req.page == 0 || req.page * req.per_page > max_page_depth)
    throw Error(ErrorCode::invalid_argument, "page is out of range (at most " + std::to_string(max_page_depth) + " results can be paged)");
}

namespace {
// Sorts by a value slot, newest or best first, ties by relevance.
void apply_sort(Xapian::Enquire& enquire, SortOrder order) {
  if (order == SortOrder::year) enquire.set_sort_by_value_then_relevance(fields::slot_year, true);
  else if (order == SortOrder::quality) enquire.set_sort_by_value_then_relevance(fields::slot_quality, true);
}
}  // namespace

SearchResponse search(IndexReader& reader, const Vocabulary& v, const SearchRequest& req, const RankingWeights& w) {
  const auto t0 = std::chrono::steady_clock::now();
  check_search_request(req);

  SearchResponse resp;
  resp.page = req.page;
  resp.per_page = req.per_page;
  IndexReader::Impl& impl = reader.impl();
  with_reopen_retry(impl, "searching", [&](Xapian::Database& db) {
    resp.phases.clear();  // a retry after a reopen starts again
    auto phase_start = std::chrono::steady_clock::now();
    auto phase = [&](const char* name) {
      const auto now = std::chrono::steady_clock::now();
      resp.phases.emplace_back(name, std::chrono::duration<double, std::milli>(now - phase_start).count());
      phase_start = now;
    };
    Built b = build_query(impl, v, req);
    phase("parse");
    resp.question = b.question;
    Xapian::Query query = b.query.empty() ? Xapian::Query::MatchAll : b.query;
    Xapian::Query full = filter_and(query, b.filter);
    if (!req.include_retracted)
      full = Xapian::Query(Xapian::Query::OP_AND_NOT, full, Xapian::Query(std::string(fields::flag) + "retracted"));
    Xapian::Enquire enquire(db);
    enquire.set_query(full);
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    enquire.set_time_limit(query_time_limit_seconds);
    // Facets: from the decoded columns on a single local index, from the packed slot per match
    // over local shards, from one slot per value when a shard is remote (fields.hpp).
    const bool packed = impl.packed_facets;
    const std::shared_ptr<const DocColumns> columns = impl.columns();
    std::optional<ColumnFacetSpy> spy_columns;
    PackedFacetSpy spy_packed(fields::slot_facets);
    PositionalCounts spy_i(fields::slot_interventions), spy_c(fields::slot_conditions), spy_o(fields::slot_outcomes);
    Xapian::ValueCountMatchSpy spy_d(fields::slot_design), spy_q(fields::slot_quality_band), spy_l(fields::slot_level_label),
        spy_y(fields::slot_year_label);
    const std::size_t pool = std::max<std::size_t>({req.page * req.per_page, req.with_summary ? req.summary_depth : req.rescore_depth});
    // Counting every match of a broad question in a large index costs more than the rest of the
    // search: past facet_sample examined records Xapian may stop, and counts are scaled.
    const Xapian::doccount check =
        static_cast<Xapian::doccount>(std::min<std::size_t>(db.get_doccount(), std::max(pool, req.facet_sample)));
    if (columns) {
      spy_columns.emplace(*columns, check);
      enquire.add_matchspy(&*spy_columns);
    } else if (packed) {
      enquire.add_matchspy(&spy_packed);
    } else {
      for (Xapian::MatchSpy* s : std::initializer_list<Xapian::MatchSpy*>{&spy_d, &spy_q, &spy_l, &spy_y}) enquire.add_matchspy(s);
      for (PositionalCounts* p : {&spy_i, &spy_c, &spy_o}) p->attach(enquire);
    }
    apply_sort(enquire, req.sort);
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(pool), check);
    phase("match");
    resp.found = mset.get_matches_estimated();
    resp.found_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
    const std::uint64_t examined = spy_columns ? spy_columns->counted() : packed ? spy_packed.total() : spy_d.get_total();
    if (!resp.found_exact && spy_columns && spy_columns->counted() == check && spy_columns->last_docid() > 0) {
      const double share = static_cast<double>(spy_columns->last_docid()) / static_cast<double>(db.get_lastdocid());
      const auto estimate = static_cast<std::uint64_t>(std::llround(static_cast<double>(examined) / share));
      resp.found = std::clamp<std::uint64_t>(estimate, mset.get_matches_lower_bound(), mset.get_matches_upper_bound());
    }
    resp.facets_exact = resp.found_exact && examined == resp.found;
    const double scale = examined > 0 && !resp.facets_exact ? static_cast<double>(resp.found) / static_cast<double>(examined) : 1.0;

    // Candidates are rescored from their ranking features; the stored record is decoded only for
    // the hits on the page and the records the graded summary can use.
    struct Cand {
      Xapian::Document doc;
      RankFeatures f;
      std::optional<Study> study;
      double relevance, score;
      std::vector<std::string> why;
    };
    auto study_of = [](Cand& c) -> const Study& {
      if (!c.study) c.study = decode_stored_study(c.doc.get_data());
      return *c.study;
    };
    std::vector<Cand> cands;
    cands.reserve(mset.size());
    double best_relevance = 0;
    for (auto it = mset.begin(); it != mset.end(); ++it) best_relevance = std::max(best_relevance, it.get_weight());
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      Cand c{it.get_document(), {}, std::nullopt, it.get_weight(), 0, {}};
      std::optional<RankFeatures> known = columns ? columns->features(*it) : std::nullopt;
      if (!known) known = parse_rank_features(c.doc.get_value(fields::slot_rank_features));
      if (known) c.f = std::move(*known);
      else c.f = rank_features_of(study_of(c));  // a record written before the slot existed
      const RankFeatures& f = c.f;
      std::vector<std::string> matched_i, matched_c, matched_cmp;
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
      std::size_t secondary = 0;
      for (const auto& id : b.question.interventions) {
        if (has_i.count(id)) matched_i.push_back(label(id));
        else if (has_i_secondary.count(id)) {
          matched_i.push_back(label(id) + " (in one comparison)");
          ++secondary;
        }
      }
      for (const auto& id : b.question.conditions)
        if (has_c.count(id)) matched_c.push_back(label(id));
      for (const auto& id : b.question.comparators)
        if (has_cmp.count(id) && v.find(id) && v.find(id)->kind == "intervention") matched_cmp.push_back(label(id));
      const double text = best_relevance > 0 ? c.relevance / best_relevance : 0;
      const int level = f.level;
      const double quality = f.quality;
      const double bonus = w.concept_match * (static_cast<double>(matched_i.size() + matched_c.size()) - 0.5 * static_cast<double>(secondary)) +
                           w.comparator_match * static_cast<double>(matched_cmp.size()) + w.per_level * (5 - level) +
                           (quality >= 0 ? w.per_quality_point * quality : 0) + (f.graded ? w.curated_results : 0) +
                           (f.retracted ? w.retracted_penalty : 0);
      c.score = w.text * text + bonus;
      if (!matched_i.empty()) c.why.push_back("matches intervention " + join(matched_i, ", "));
      if (!matched_c.empty()) c.why.push_back("matches condition " + join(matched_c, ", "));
      if (!matched_cmp.empty()) c.why.push_back("matches comparator " + join(matched_cmp, ", "));
      if (matched_i.empty() && matched_c.empty() && c.relevance > 0) c.why.push_back("matches the words of the query");
      c.why.push_back(std::string(design_label(f.design)) + (f.meta_analysis && f.design == "systematic_review" ? " with meta-analysis" : "") +
                      " (evidence level " + std::to_string(level) + (level == 5 && f.design != "other" ? ", no results yet" : "") + ")");
      if (quality >= 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "quality %.0f/10%s", quality, f.quality_estimated ? " (estimated)" : "");
        c.why.push_back(buf);
      }
      if (f.graded) c.why.push_back("curated, graded results");
      char rel[96];
      std::snprintf(rel, sizeof rel, "score %.2f = text %.2f + evidence %.2f", c.score, w.text * text, bonus);
      c.why.push_back(rel);
      if (f.retracted) c.why.push_back("retracted");
      cands.push_back(std::move(c));
    }
    phase("rescore");
    if (req.sort == SortOrder::relevance)
      // Ties go to the record id, not the docid: a sharded index numbers documents differently,
      // and the same records must rank the same however the index is split.
      std::stable_sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
        if (std::abs(x.score - y.score) > 1e-9) return x.score > y.score;  // equal up to rounding: a tie
        return x.f.id < y.f.id;
      });
    // A summary alone needs neither the page of hits, nor facets, nor spelling suggestions.
    if (req.with_hits) {
      // Past the candidate pool (deep pages), fall back to BM25 order from the index.
      const std::size_t first = (req.page - 1) * req.per_page;
      if (first < cands.size()) {
        for (std::size_t i = first; i < std::min(cands.size(), first + req.per_page); ++i) {
          Hit h;
          h.study = study_of(cands[i]);
          h.relevance = cands[i].relevance;
          h.score = cands[i].score;
          h.rank = i + 1;
          h.snippet = make_snippet(mset, h.study);
          h.why = cands[i].why;
          resp.hits.push_back(std::move(h));
        }
      } else if (first < resp.found) {
        Xapian::MSet deep = enquire.get_mset(static_cast<Xapian::doccount>(first), static_cast<Xapian::doccount>(req.per_page));
        std::size_t rank = first;
        for (auto it = deep.begin(); it != deep.end(); ++it) {
          Hit h;
          h.study = decode_stored_study(it.get_document().get_data());
          h.relevance = h.score = it.get_weight();
          h.rank = ++rank;
          h.snippet = make_snippet(deep, h.study);
          h.why = {"text relevance " + std::to_string(h.relevance)};
          resp.hits.push_back(std::move(h));
        }
      }
      phase("hits");
      // Facets with exact counts (the match spies saw every matching document).
      auto facet = [&](const char* name, const std::map<std::string, std::uint64_t>& counts, auto label_of) {
        std::vector<FacetCount> fc;
        for (const auto& [value, n] : counts)
          if (!value.empty()) fc.push_back({value, label_of(value), static_cast<std::uint64_t>(std::llround(static_cast<double>(n) * scale))});
        std::stable_sort(fc.begin(), fc.end(), [](const FacetCount& x, const FacetCount& y) { return x.count > y.count; });
        resp.facets.emplace_back(name, std::move(fc));
      };
      auto concept_label = [&](const std::string& id) { const Concept* c = v.find(id); return c ? c->preferred : id; };
      auto spy_counts = [](const Xapian::ValueCountMatchSpy& s) {
        std::map<std::string, std::uint64_t> m;
        for (auto it = s.values_begin(); it != s.values_end(); ++it) m[*it] = it.get_termfreq();
        return m;
      };
      auto packed_counts = [&](char kind) {
        if (spy_columns) return spy_columns->counts(kind);
        std::map<std::string, std::uint64_t> m;
        for (auto& [value, n] : spy_packed.counts(kind)) m[value] = n;
        return m;
      };
      facet("design", packed ? packed_counts('d') : spy_counts(spy_d), [](const std::string& d) { return std::string(design_label(d)); });
      facet("intervention", packed ? packed_counts('i') : spy_i.counts(), concept_label);
      facet("condition", packed ? packed_counts('c') : spy_c.counts(), concept_label);
      facet("outcome", packed ? packed_counts('o') : spy_o.counts(), concept_label);
      facet("evidence_level", packed ? packed_counts('l') : spy_counts(spy_l), [](const std::string& l) { return "Level " + l; });
      facet("quality", packed ? packed_counts('q') : spy_counts(spy_q),
            [](const std::string& q) { return q == "unknown" ? std::string("Not rated") : q + " quality"; });
      facet("year", packed ? packed_counts('y') : spy_counts(spy_y), [](const std::string& y) { return y; });
      if (!resp.facets.empty()) {
        auto& years = resp.facets.back().second;
        std::sort(years.begin(), years.end(), [](const FacetCount& x, const FacetCount& y) { return x.value > y.value; });
        years.erase(std::remove_if(years.begin(), years.end(), [](const FacetCount& f) { return f.value == "0"; }), years.end());
      }
      // "Did you mean": only when the query found little and a word has a better spelling.
      if (resp.found < 3) {
        std::string corrected;
        bool changed = false;
        for (const auto& t : tokenize(req.q)) {
          std::string word = t.original;
          std::string lowerw = normalise(word);
          const std::string sug = lowerw.size() > 3 && !v.lookup(lowerw) ? db.get_spelling_suggestion(lowerw) : "";
          if (!sug.empty() && sug != lowerw) {
            changed = true;
            word = sug;
          }
          corrected += (corrected.empty() ? "" : " ") + word;
        }
        if (changed) resp.did_you_mean = corrected;
      }
    }
    phase("facets");
    if (req.with_summary) {
      // Only records with a reportable result can change the summary (synthesise skips the rest).
      std::vector<Study> top;
      for (std::size_t i = 0; i < std::min(cands.size(), req.summary_depth); ++i)
        if (cands[i].f.reportable) top.push_back(study_of(cands[i]));
      phase("summary_records");
      resp.summary = synthesise(top, resp.question, v);
      phase("summary");
    }
    return 0;
  });
  resp.search_time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return resp;
}

std::vector<Study> search_all(IndexReader& reader, const Vocabulary& v, const SearchRequest& req, std::size_t limit) {
  SearchRequest r = req;
  r.page = 1;
  r.per_page = 1;
  r.with_summary = false;
  std::vector<Study> out;
  IndexReader::Impl& impl = reader.impl();
  with_reopen_retry(impl, "exporting", [&](Xapian::Database& db) {
    Built b = build_query(impl, v, r);
    Xapian::Query full = filter_and(b.query.empty() ? Xapian::Query::MatchAll : b.query, b.filter);
    full = Xapian::Query(Xapian::Query::OP_AND_NOT, full, Xapian::Query(std::string(fields::flag) + "retracted"));
    Xapian::Enquire enquire(db);
    enquire.set_query(full);
    enquire.set_time_limit(query_time_limit_seconds);
    apply_sort(enquire, r.sort);
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(limit));
    for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back(decode_stored_study(it.get_document().get_data()));
    return 0;
  });
  return out;
}

}  // namespace evidence
