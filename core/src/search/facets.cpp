// Facet counts while Xapian matches, and the number of matches past the sample.
#include <algorithm>
#include <cmath>

#include "evidence/appraisal.hpp"
#include "evidence/fields.hpp"
#include "search_internal.hpp"

namespace evidence::search_detail {

namespace {

// Counts a multi-valued facet kept one value per slot (see fields.hpp): Xapian's own
// ValueCountMatchSpy per slot, so remote shards can run it too; a record has each value once,
// so the sum over the slots is the number of records.
class PositionalCounts {
 public:
  explicit PositionalCounts(Xapian::valueno first) {
    for (unsigned k = 0; k < fields::facet_positions; ++k)
      spies_.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(first + k));
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
  ColumnFacetSpy(const DocColumns& columns, std::uint64_t sample)
      : columns_(columns), sample_(sample), counts_(columns.value_count(), 0) {}
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

}  // namespace

struct FacetCounter::Spies {
  std::optional<ColumnFacetSpy> columns;
  PositionalCounts interventions{fields::slot_interventions}, conditions{fields::slot_conditions},
      outcomes{fields::slot_outcomes};
  Xapian::ValueCountMatchSpy design{fields::slot_design}, quality{fields::slot_quality_band},
      level{fields::slot_level_label}, year{fields::slot_year_label};
};

FacetCounter::FacetCounter(IndexReader::Impl& index, Xapian::doccount sample)
    : columns_(index.columns()), sample_(sample), spies_(std::make_unique<Spies>()) {
  if (columns_) spies_->columns.emplace(*columns_, sample);
}

FacetCounter::~FacetCounter() = default;

void FacetCounter::attach(Xapian::Enquire& enquire) {
  Spies& s = *spies_;
  if (s.columns) {
    enquire.add_matchspy(&*s.columns);
  } else {
    for (Xapian::MatchSpy* spy : std::initializer_list<Xapian::MatchSpy*>{&s.design, &s.quality, &s.level, &s.year})
      enquire.add_matchspy(spy);
    for (PositionalCounts* p : {&s.interventions, &s.conditions, &s.outcomes}) p->attach(enquire);
  }
}

MatchCounts FacetCounter::counts(const Xapian::MSet& mset, const Xapian::Database& db) const {
  const Spies& s = *spies_;
  MatchCounts c;
  c.found = mset.get_matches_estimated();
  c.found_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
  const std::uint64_t examined = s.columns ? s.columns->counted() : s.design.get_total();
  // Past the sample, the share of the docid range the sampled matches covered estimates the
  // total better than Xapian does (see ColumnFacetSpy).
  if (!c.found_exact && s.columns && s.columns->counted() == sample_ && s.columns->last_docid() > 0) {
    const double share = static_cast<double>(s.columns->last_docid()) / static_cast<double>(db.get_lastdocid());
    const auto estimate = static_cast<std::uint64_t>(std::llround(static_cast<double>(examined) / share));
    c.found = std::clamp<std::uint64_t>(estimate, mset.get_matches_lower_bound(), mset.get_matches_upper_bound());
  }
  c.facets_exact = c.found_exact && examined == c.found;
  c.scale = examined > 0 && !c.facets_exact ? static_cast<double>(c.found) / static_cast<double>(examined) : 1.0;
  return c;
}

namespace {

std::map<std::string, std::uint64_t> spy_counts(const Xapian::ValueCountMatchSpy& s) {
  std::map<std::string, std::uint64_t> m;
  for (auto it = s.values_begin(); it != s.values_end(); ++it) m[*it] = it.get_termfreq();
  return m;
}

}  // namespace

std::vector<std::pair<std::string, std::vector<FacetCount>>> FacetCounter::facets(const Vocabulary& v,
                                                                                  double scale) const {
  const Spies& s = *spies_;
  std::vector<std::pair<std::string, std::vector<FacetCount>>> out;
  auto facet = [&](const char* name, const std::map<std::string, std::uint64_t>& counts, auto label_of) {
    std::vector<FacetCount> fc;
    for (const auto& [value, n] : counts)
      if (!value.empty())
        fc.push_back(
            {value, label_of(value), static_cast<std::uint64_t>(std::llround(static_cast<double>(n) * scale))});
    std::stable_sort(fc.begin(), fc.end(), [](const FacetCount& x, const FacetCount& y) { return x.count > y.count; });
    out.emplace_back(name, std::move(fc));
  };
  const ColumnFacetSpy* columns = s.columns ? &*s.columns : nullptr;
  auto packed = [&](char kind) { return columns->counts(kind); };
  const bool by_kind = columns != nullptr;
  auto concept_label = [&](const std::string& id) {
    const Concept* c = v.find(id);
    return c ? c->preferred : id;
  };
  facet("design", by_kind ? packed('d') : spy_counts(s.design),
        [](const std::string& d) { return std::string(design_label(d)); });
  facet("intervention", by_kind ? packed('i') : s.interventions.counts(), concept_label);
  facet("condition", by_kind ? packed('c') : s.conditions.counts(), concept_label);
  facet("outcome", by_kind ? packed('o') : s.outcomes.counts(), concept_label);
  facet("evidence_level", by_kind ? packed('l') : spy_counts(s.level),
        [](const std::string& l) { return "Level " + l; });
  facet("quality", by_kind ? packed('q') : spy_counts(s.quality),
        [](const std::string& q) { return q == "unknown" ? std::string("Not rated") : q + " quality"; });
  facet("year", by_kind ? packed('y') : spy_counts(s.year), [](const std::string& y) { return y; });
  auto& years = out.back().second;
  std::sort(years.begin(), years.end(), [](const FacetCount& x, const FacetCount& y) { return x.value > y.value; });
  years.erase(std::remove_if(years.begin(), years.end(), [](const FacetCount& f) { return f.value == "0"; }),
              years.end());
  return out;
}

}  // namespace evidence::search_detail
