#include "study_codec.hpp"

#include <cstring>
#include <type_traits>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"

namespace evidence {

namespace {

// First byte of the binary form. Format 3 adds the draft flag and the quotes of unverified
// fields; format 2 records (indexes written before drafts) still decode, without them, so an
// index of format 2 records needs no rebuild.
constexpr char format_v2 = '\x02';
constexpr char format_v3 = '\x03';

// The encoder and the decoder share one list of fields (study_fields below): each visits every
// field in the same order, Out writing it and In reading into it, so the two directions cannot
// drift apart. Adding a field to the study model means adding one line there and bumping the
// format byte; the round-trip test (tests/unit/test_stored_values.cpp) compares the JSON
// renderings and fails on a field left out.
class Out {
 public:
  std::string bytes;
  // Fields added in format 3 are always written.
  static constexpr bool has_v3_fields() { return true; }
  void u(std::uint64_t v) {
    while (v >= 0x80) {
      bytes += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    bytes += static_cast<char>(v);
  }
  void field(const std::string& v) {
    u(v.size());
    bytes += v;
  }
  void field(bool v) { bytes += v ? '\1' : '\0'; }
  void field(double v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes.append(raw, sizeof v);
  }
  template <typename T>
  requires std::is_integral_v<T>
  void field(T v) {
    const auto w = static_cast<std::int64_t>(v);
    u((static_cast<std::uint64_t>(w) << 1) ^ static_cast<std::uint64_t>(w >> 63));
  }
  void field(Origin o) { u(static_cast<std::uint64_t>(o)); }
  // Stored as its word, as when it was a string: the format is unchanged.
  void field(Direction d) { field(std::string(direction_name(d))); }
  void field(Design d) { field(std::string(design_name(d))); }
  void field(ComparatorKind k) { field(std::string(comparator_kind_name(k))); }
  void field(const std::optional<ComparatorKind>& k) { field(std::string(k ? comparator_kind_name(*k) : "")); }
  template <typename T, typename F>
  void list(const std::vector<T>& v, F&& each) {
    u(v.size());
    for (const auto& x : v) each(x);
  }
  void field(const std::vector<std::string>& v) {
    list(v, [&](const std::string& x) { field(x); });
  }
  template <typename T, typename F>
  void opt(const std::optional<T>& v, F&& each) {
    field(v.has_value());
    if (v) each(*v);
  }
  void field(const std::optional<std::int64_t>& v) {
    opt(v, [&](std::int64_t x) { field(x); });
  }
  void field(const std::optional<double>& v) {
    opt(v, [&](double x) { field(x); });
  }
  // std::vector<bool> hands out proxies, not bool&: one byte per item.
  void field(const std::vector<bool>& v) {
    u(v.size());
    for (const bool item : v) field(item);
  }
  template <typename K, typename V>
  void field(const std::map<K, V>& m) {
    u(m.size());
    for (const auto& [k, v] : m) {
      field(k);
      field(v);
    }
  }
};

class In {
 public:
  In(std::string_view data, bool v3) : p_(data.data()), end_(data.data() + data.size()), v3_(v3) {}
  bool at_end() const { return p_ == end_; }
  // Fields added in format 3 are read only from format 3 data.
  bool has_v3_fields() const { return v3_; }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = static_cast<unsigned char>(take(1)[0]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail();
  }
  // A count of elements that each take at least one byte: a larger one is corrupt data, not a
  // reason for a huge allocation.
  std::size_t count() {
    const std::uint64_t n = u();
    if (n > static_cast<std::uint64_t>(end_ - p_)) fail();
    return static_cast<std::size_t>(n);
  }
  void field(std::string& v) {
    const std::size_t n = count();
    v.assign(take(n), n);
  }
  void field(bool& v) {
    const char c = take(1)[0];
    if (c != '\0' && c != '\1') fail();
    v = c == '\1';
  }
  void field(double& v) { std::memcpy(&v, take(sizeof v), sizeof v); }
  template <typename T>
  requires std::is_integral_v<T>
  void field(T& v) {
    const std::uint64_t z = u();
    v = static_cast<T>(static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1));
  }
  void field(Origin& o) {
    const std::uint64_t v = u();
    if (v > static_cast<std::uint64_t>(Origin::estimated)) fail();
    o = static_cast<Origin>(v);
  }
  void field(Direction& d) { word_of(d, parse_direction); }
  void field(Design& d) { word_of(d, parse_design); }
  void field(ComparatorKind& k) { word_of(k, parse_comparator_kind); }
  // "" is an arm not yet classed.
  void field(std::optional<ComparatorKind>& k) {
    std::string word;
    field(word);
    k.reset();
    if (word.empty()) return;
    k = parse_comparator_kind(word);
    if (!k) fail();
  }
  // A closed set's word, read and parsed; a word outside the set is a corrupt record.
  template <typename T, typename Parse>
  void word_of(T& out, Parse parse) {
    std::string word;
    field(word);
    const auto parsed = parse(word);
    if (!parsed) fail();
    out = *parsed;
  }
  template <typename T, typename F>
  void list(std::vector<T>& v, F&& each) {
    v.assign(count(), T{});
    for (auto& x : v) each(x);
  }
  void field(std::vector<std::string>& v) {
    list(v, [&](std::string& x) { field(x); });
  }
  template <typename T, typename F>
  void opt(std::optional<T>& v, F&& each) {
    bool present = false;
    field(present);
    if (!present) {
      v.reset();
      return;
    }
    v.emplace();
    each(*v);
  }
  void field(std::optional<std::int64_t>& v) {
    opt(v, [&](std::int64_t& x) { field(x); });
  }
  void field(std::optional<double>& v) {
    opt(v, [&](double& x) { field(x); });
  }
  void field(std::vector<bool>& v) {
    v.assign(count(), false);
    for (std::size_t k = 0; k < v.size(); ++k) {
      bool item = false;
      field(item);
      v[k] = item;
    }
  }
  template <typename K, typename V>
  void field(std::map<K, V>& m) {
    m.clear();
    for (std::size_t n = count(); n > 0; --n) {
      K k{};
      V v{};
      field(k);
      field(v);
      m.emplace(std::move(k), std::move(v));
    }
  }
  [[noreturn]] static void fail() {
    throw Error(ErrorCode::index_corrupt, "a stored record in the index cannot be decoded");
  }

 private:
  const char* take(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) fail();
    const char* at = p_;
    p_ += n;
    return at;
  }
  const char* p_;
  const char* end_;
  bool v3_;
};

// S is Study for reading and const Study for writing; the same for the nested structs.
template <typename IO, typename A>
void arm_fields(IO& io, A& a) {
  io.field(a.concepts);
  io.field(a.label);
  io.field(a.kind);
}

template <typename IO, typename R>
void outcome_fields(IO& io, R& r) {
  io.field(r.domain);
  io.field(r.instrument);
  io.field(r.instrument_label);
  io.field(r.time_point);
  io.field(r.time_label);
  io.opt(r.population, [&](auto& p) {
    io.field(p.conditions);
    io.field(p.duration);
    io.field(p.label);
  });
  io.field(r.follow_up_weeks);
  io.field(r.intervention);
  io.field(r.comparator);
  io.field(r.comparator_kind);
  io.field(r.add_on);
  io.field(r.direction);
  io.opt(r.effect, [&](auto& e) {
    io.field(e.measure);
    io.field(e.value);
    io.field(e.ci_low);
    io.field(e.ci_high);
    io.field(e.scale_min);
    io.field(e.scale_max);
    io.field(e.better);
    io.field(e.contrast);
    io.field(e.event);
    io.field(e.mid);
    io.field(e.label);
  });
  io.field(r.n_studies);
  io.field(r.n_participants);
  io.field(r.analysis);
  io.opt(r.certainty, [&](auto& c) {
    io.field(c.system);
    io.field(c.level);
    io.field(c.statement);
    io.field(c.downgrades);
  });
  io.field(r.primary);
  io.field(r.result_text);
}

template <typename IO, typename S>
void study_fields(IO& io, S& s) {
  io.field(s.id);
  io.field(s.identifiers.pmid);
  io.field(s.identifiers.doi);
  io.field(s.identifiers.nct);
  io.field(s.identifiers.pmcid);
  io.field(s.identifiers.other);
  io.field(s.title);
  io.field(s.authors);
  io.field(s.authors_complete);
  io.field(s.journal);
  io.field(s.citation);
  io.field(s.year);
  io.field(s.language);
  io.field(s.publication_types);
  io.list(s.abstract, [&](auto& a) {
    io.field(a.label);
    io.field(a.text);
  });
  io.field(s.design);
  io.field(s.meta_analysis);
  io.field(s.meta_analysis_stated);
  io.field(s.design_label);
  io.field(s.population.description);
  io.field(s.population.conditions);
  io.field(s.population.duration);
  io.field(s.population.n_randomised);
  io.field(s.population.n_trials);
  io.field(s.population.n_participants);
  io.list(s.interventions, [&](auto& a) { arm_fields(io, a); });
  io.list(s.comparators, [&](auto& a) { arm_fields(io, a); });
  io.list(s.outcomes, [&](auto& r) { outcome_fields(io, r); });
  io.opt(s.quality.pedro, [&](auto& p) {
    io.field(p.score);
    io.field(p.items);
    io.field(p.source);
  });
  io.opt(s.quality.risk_of_bias, [&](auto& r) {
    io.field(r.tool);
    io.field(r.overall);
    io.field(r.source);
    io.list(r.domains, [&](auto& d) {
      io.field(d.domain);
      io.field(d.judgement);
      io.field(d.support);
    });
  });
  io.field(s.quality.certainty_statement);
  io.field(s.quality.grading_system);
  io.field(s.included_record_ids);
  io.field(s.same_trial_as);
  io.field(s.supersedes);
  io.field(s.summary.clinician);
  io.field(s.summary.plain);
  io.field(s.provenance.reference_row);
  io.field(s.provenance.sources);
  io.list(s.provenance.unverified, [&](auto& f) {
    io.field(f.field);
    io.field(f.candidate);
    io.field(f.note);
    if (io.has_v3_fields()) io.field(f.quote);
  });
  io.field(s.provenance.secondary_source);
  io.field(s.provenance.notes);
  io.field(s.retracted);
  io.field(s.annotation.origins);
  io.field(s.annotation.quality_basis);
  io.field(s.annotation.quality_score);
  io.field(s.annotation.quality_estimated);
  io.field(s.annotation.evidence_level);
  io.field(s.annotation.mesh_terms);
  io.field(s.annotation.keywords);
  io.field(s.annotation.sources);
  io.field(s.annotation.files);
  io.field(s.annotation.status);
  if (io.has_v3_fields()) io.field(s.draft);
}

}  // namespace

std::string encode_study(const Study& s) {
  Out o;
  o.bytes += format_v3;
  study_fields(o, s);
  return std::move(o.bytes);
}

Study decode_stored_study(std::string_view data) {
  if (data.empty() || (data.front() != format_v2 && data.front() != format_v3)) In::fail();
  In in(data.substr(1), data.front() == format_v3);
  Study s;
  study_fields(in, s);
  if (!in.at_end()) In::fail();
  return s;
}

}  // namespace evidence

namespace evidence {

std::optional<std::string> synthesis_record(const Study& s) {
  if (!can_report(s)) return std::nullopt;
  Study t = s;
  t.abstract.clear();
  t.annotation.mesh_terms.clear();
  t.annotation.keywords.clear();
  return encode_study(t);
}

}  // namespace evidence
