#include "doc_columns.hpp"

#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>

#include "evidence/fields.hpp"

namespace evidence {

namespace {

constexpr std::uint16_t flag_meta = 1, flag_qest = 2, flag_graded = 4, flag_retracted = 8, flag_reportable = 16;

struct CodeTable {
  std::unordered_map<std::string, std::uint16_t>& codes;
  std::vector<std::string>& values;
  bool overflow = false;
  std::uint16_t code(std::string_view v) {
    auto it = codes.find(std::string(v));
    if (it != codes.end()) return it->second;
    if (values.size() >= 0xFFFF) {
      overflow = true;
      return 0;
    }
    const auto c = static_cast<std::uint16_t>(values.size());
    values.emplace_back(v);
    codes.emplace(std::string(v), c);
    return c;
  }
};

}  // namespace

std::shared_ptr<const DocColumns> DocColumns::load(Xapian::Database& db) {
  auto cols = std::make_shared<DocColumns>();
  const Xapian::docid last = db.get_lastdocid();
  cols->offset_.assign(static_cast<std::size_t>(last) + 2, 0);
  CodeTable table{cols->codes_, cols->values_};
  // Both slots are read as streams in docid order: sequential reads, one pass each.
  std::vector<std::vector<std::uint16_t>> facet_rows;
  Xapian::ValueIterator fi = db.valuestream_begin(fields::slot_facets);
  Xapian::ValueIterator ri = db.valuestream_begin(fields::slot_rank_features);
  const Xapian::ValueIterator end = db.valuestream_end(0);
  std::vector<std::uint16_t> row;
  for (Xapian::docid did = 1; did <= last; ++did) {
    cols->offset_[did] = static_cast<std::uint32_t>(cols->data_.size());
    row.clear();
    if (fi != end && fi.get_docid() < did) fi.skip_to(did);
    if (fi != end && fi.get_docid() == did) {
      const std::string v = *fi;
      std::string_view rest(v);
      while (!rest.empty()) {
        const auto p = rest.find('\n');
        if (p != 0) row.push_back(table.code(rest.substr(0, p)));
        if (p == std::string_view::npos) break;
        rest.remove_prefix(p + 1);
      }
    }
    cols->data_.push_back(static_cast<std::uint16_t>(row.size()));
    cols->data_.insert(cols->data_.end(), row.begin(), row.end());
    if (ri != end && ri.get_docid() < did) ri.skip_to(did);
    if (ri != end && ri.get_docid() == did) {
      if (auto f = parse_rank_features(*ri)) {
        const std::uint16_t flags = (f->meta_analysis ? flag_meta : 0) | (f->quality_estimated ? flag_qest : 0) |
                                    (f->graded ? flag_graded : 0) | (f->retracted ? flag_retracted : 0) |
                                    (f->reportable ? flag_reportable : 0);
        const auto id_at = static_cast<std::uint32_t>(cols->ids_.size());
        cols->ids_ += f->id;
        const double q = f->quality < 0 ? -1 : f->quality;
        cols->data_.insert(cols->data_.end(),
                           {static_cast<std::uint16_t>(f->design), static_cast<std::uint16_t>(f->level),
                            static_cast<std::uint16_t>(std::lround(q * 100) + 32768), flags,
                            static_cast<std::uint16_t>(id_at & 0xFFFF), static_cast<std::uint16_t>(id_at >> 16),
                            static_cast<std::uint16_t>(std::min<std::size_t>(f->id.size(), 0xFFFF))});
        for (const auto* list : {&f->interventions, &f->secondary_interventions, &f->comparators, &f->conditions}) {
          cols->data_.push_back(static_cast<std::uint16_t>(list->size()));
          for (const auto& id : *list) cols->data_.push_back(table.code(id));
        }
      }
    }
    if (table.overflow || cols->data_.size() > 0xFFFFFFF0u) return nullptr;
  }
  cols->offset_[static_cast<std::size_t>(last) + 1] = static_cast<std::uint32_t>(cols->data_.size());
  cols->data_.shrink_to_fit();
  cols->ids_.shrink_to_fit();
  return cols;
}

std::span<const std::uint16_t> DocColumns::facets(Xapian::docid did) const {
  if (did == 0 || did + 1 >= offset_.size()) return {};
  const std::uint16_t* p = data_.data() + offset_[did];
  return {p + 1, p[0]};
}

const std::uint16_t* DocColumns::feature_block(Xapian::docid did) const {
  if (did == 0 || did + 1 >= offset_.size()) return nullptr;
  const std::uint16_t* p = data_.data() + offset_[did];
  p += 1 + p[0];  // past the facet codes
  return p < data_.data() + offset_[did + 1] ? p : nullptr;
}

std::optional<RankFeatures> DocColumns::features(Xapian::docid did) const {
  const std::uint16_t* p = feature_block(did);
  if (!p) return std::nullopt;
  RankFeatures f;
  f.design = static_cast<Design>(p[0]);
  f.level = p[1];
  f.quality = p[2] == 32768 - 100 ? -1 : (static_cast<double>(p[2]) - 32768) / 100;
  f.meta_analysis = p[3] & flag_meta;
  f.quality_estimated = p[3] & flag_qest;
  f.graded = p[3] & flag_graded;
  f.retracted = p[3] & flag_retracted;
  f.reportable = p[3] & flag_reportable;
  const std::uint32_t id_at = static_cast<std::uint32_t>(p[4]) | (static_cast<std::uint32_t>(p[5]) << 16);
  f.id = ids_.substr(id_at, p[6]);
  p += 7;
  for (auto* list : {&f.interventions, &f.secondary_interventions, &f.comparators, &f.conditions}) {
    const std::uint16_t n = *p++;
    for (std::uint16_t k = 0; k < n; ++k) list->push_back(values_[*p++]);
  }
  return f;
}

std::array<std::span<const std::uint16_t>, 4> DocColumns::concept_codes(Xapian::docid did) const {
  std::array<std::span<const std::uint16_t>, 4> lists;
  const std::uint16_t* p = feature_block(did);
  if (!p) return lists;
  p += 7;  // design, level, quality, flags, id offset (2), id length: see features()
  for (auto& list : lists) {
    const std::uint16_t n = *p++;
    list = {p, n};
    p += n;
  }
  return lists;
}

std::optional<std::uint16_t> DocColumns::code(const std::string& value) const {
  const auto it = codes_.find(value);
  if (it == codes_.end()) return std::nullopt;
  return it->second;
}

std::size_t DocColumns::memory_bytes() const {
  std::size_t n =
      offset_.capacity() * sizeof(std::uint32_t) + data_.capacity() * sizeof(std::uint16_t) + ids_.capacity();
  for (const auto& v : values_) n += 2 * (sizeof(std::string) + v.capacity()) + 16;  // values_ and codes_
  return n;
}

std::shared_ptr<const DocColumns> shared_columns(const std::string& key, const std::string& revision,
                                                 Xapian::Database& db) {
  // Readers of a revision share its columns; a revision nobody reads any more is freed with its
  // last reader (weak pointers). Building holds the lock, so readers of a new revision wait for
  // the first one to finish instead of all building it.
  static std::mutex mutex;
  struct Entry {
    std::weak_ptr<const DocColumns> columns;
    bool unusable = false;  // too many distinct values: remembered, not retried per query
  };
  static std::map<std::pair<std::string, std::string>, Entry> cache;
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = cache.begin(); it != cache.end();)
    it = it->second.columns.expired() && !it->second.unusable ? cache.erase(it) : std::next(it);
  Entry& entry = cache[{key, revision}];
  if (entry.unusable) return nullptr;
  if (auto cols = entry.columns.lock()) return cols;
  auto cols = DocColumns::load(db);
  entry.columns = cols;
  entry.unusable = !cols;
  return cols;
}

}  // namespace evidence
