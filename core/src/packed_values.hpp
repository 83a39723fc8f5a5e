#pragma once
// Private to the core library: the two compact value slots a search reads for every candidate
// instead of the stored JSON record (fields::slot_facets and fields::slot_rank_features).
// Written by DocumentBuilder, read by doc_columns and search. Parsing never throws: a malformed
// or missing value yields std::nullopt, which the caller reports as a corrupt index.
#include <xapian.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "evidence/study.hpp"

namespace evidence {

// What ranking needs to know of a record: see RankingWeights in search.hpp.
struct RankFeatures {
  std::string id;
  Design design = Design::other;
  bool meta_analysis = false;
  int level = 5;
  double quality = -1;
  bool quality_estimated = false, graded = false, retracted = false;
  // Would synthesise() use this record at all (a reportable result, not retracted, not a protocol)?
  bool reportable = false;
  // Directly annotated concept ids (ancestors are added at query time from the vocabulary).
  std::vector<std::string> interventions, secondary_interventions, comparators, conditions;
};

RankFeatures rank_features_of(const Study& s);
std::string serialise_rank_features(const RankFeatures& f);
std::optional<RankFeatures> parse_rank_features(std::string_view value);

// Facet values of a record in one slot: one line per value, "<kind><value>", where kind is
// d (design), q (quality band), l (evidence level), y (year), i, c, o (intervention, condition,
// outcome concepts).
std::string serialise_facets(const std::string& design, const std::string& quality_band, int level, int year,
                             const std::vector<std::string>& interventions, const std::vector<std::string>& conditions,
                             const std::vector<std::string>& outcomes);

}  // namespace evidence
