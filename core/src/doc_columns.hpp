#pragma once
// Private to the core library: the facet values and ranking features of every document of one
// index revision, decoded once into compact arrays and shared by every reader of that index in
// the process (the server has one reader per thread).
//
// Why: counting facets over thousands of matches and rescoring the candidate pool read two value
// slots per document; Xapian reads them block by block with pread(), and for matches spread over
// the index that was most of a query's time. Decoded here, a document's facets and features
// are an array lookup. Memory: under 100 bytes per document (at 1M records the whole server
// was at 96 MB resident right after building them; docs/BENCHMARKS.md).
//
// Only for a single local database written with the packed slots (IndexReader::Impl::columns()).
// load() throws Xapian::Error (the caller maps it); it returns nullptr when the index holds
// more distinct values than the 16-bit codes can name, and search falls back to the slots.
#include <xapian.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "packed_values.hpp"

namespace evidence {

class DocColumns {
 public:
  static std::shared_ptr<const DocColumns> load(Xapian::Database& db);

  // The codes of a document's facet lines ("drct", "iexercise_therapy", ...); empty past the
  // last docid or for a document without the slot.
  std::span<const std::uint16_t> facets(Xapian::docid did) const;
  // The ranking features of a document; nullopt when it has none.
  std::optional<RankFeatures> features(Xapian::docid did) const;
  // The concept codes of a document's ranking features, by list: interventions, secondary
  // interventions, comparators, conditions (RankFeatures); all empty when it has none.
  enum ConceptList : std::size_t { interventions = 0, secondary_interventions, comparators, conditions };
  std::array<std::span<const std::uint16_t>, 4> concept_codes(Xapian::docid did) const;
  // The code of a value ("drct", or a concept id as the ranking features hold it); nullopt when
  // no document of the revision has it.
  std::optional<std::uint16_t> code(const std::string& value) const;
  const std::string& value(std::uint16_t code) const { return values_[code]; }
  std::size_t value_count() const { return values_.size(); }
  std::size_t memory_bytes() const;

 private:
  // Where a document's ranking features start in data_; nullptr when it has none.
  const std::uint16_t* feature_block(Xapian::docid did) const;
  // Per document, in data_ from offset_[did]: facet count, facet codes, then (if the document
  // has features) design, level, quality*100+32768, flags, id offset (2 x u16), id length, and four
  // counted lists of concept codes.
  std::vector<std::uint32_t> offset_;  // docid -> start in data_; offset_[did+1] ends it
  std::vector<std::uint16_t> data_;
  std::string ids_;
  std::vector<std::string> values_;
  std::unordered_map<std::string, std::uint16_t> codes_;
};

// The columns of the revision `revision` of the index at `key`, built from db (which must be at
// that revision) unless another reader of the same revision already built them.
std::shared_ptr<const DocColumns> shared_columns(const std::string& key, const std::string& revision,
                                                 Xapian::Database& db);

}  // namespace evidence
