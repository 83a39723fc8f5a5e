#include "study_codec.hpp"

#include <cstring>

#include "evidence/errors.hpp"

namespace evidence {

namespace {

// First byte of the binary form; JSON starts with '{'.
constexpr char format_v1 = '\x01';

// Every field of every struct is written in declaration order. Adding a field to the study
// model means adding it here (write and read) and bumping the format byte; the round-trip test
// (tests/unit/test_study_codec.cpp) compares the JSON renderings and fails on a missed field.
class Out {
 public:
  std::string bytes;
  void u(std::uint64_t v) {
    while (v >= 0x80) {
      bytes += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    bytes += static_cast<char>(v);
  }
  void i(std::int64_t v) { u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void b(bool v) { bytes += v ? '\1' : '\0'; }
  void d(double v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes.append(raw, sizeof v);
  }
  void s(const std::string& v) {
    u(v.size());
    bytes += v;
  }
  void strs(const std::vector<std::string>& v) {
    u(v.size());
    for (const auto& x : v) s(x);
  }
  template <typename T, typename F>
  void list(const std::vector<T>& v, F&& each) {
    u(v.size());
    for (const auto& x : v) each(x);
  }
  template <typename T, typename F>
  void opt(const std::optional<T>& v, F&& each) {
    b(v.has_value());
    if (v) each(*v);
  }
  void oi(const std::optional<std::int64_t>& v) {
    opt(v, [&](std::int64_t x) { i(x); });
  }
  void od(const std::optional<double>& v) {
    opt(v, [&](double x) { d(x); });
  }
};

class In {
 public:
  explicit In(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool at_end() const { return p_ == end_; }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto byte = static_cast<unsigned char>(take(1)[0]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail();
  }
  std::int64_t i() {
    const std::uint64_t z = u();
    return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
  }
  bool b() {
    const char c = take(1)[0];
    if (c != '\0' && c != '\1') fail();
    return c == '\1';
  }
  double d() {
    double v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string s() {
    const std::uint64_t n = u();
    if (n > static_cast<std::uint64_t>(end_ - p_)) fail();
    return std::string(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
  }
  std::size_t count() {
    const std::uint64_t n = u();
    // Every element takes at least one byte: a larger count is corrupt, not a huge allocation.
    if (n > static_cast<std::uint64_t>(end_ - p_)) fail();
    return static_cast<std::size_t>(n);
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(count());
    for (auto& x : v) x = s();
    return v;
  }
  template <typename T, typename F>
  std::vector<T> list(F&& each) {
    std::vector<T> v(count());
    for (auto& x : v) each(x);
    return v;
  }
  template <typename T, typename F>
  std::optional<T> opt(F&& each) {
    if (!b()) return std::nullopt;
    T v{};
    each(v);
    return v;
  }
  std::optional<std::int64_t> oi() {
    return opt<std::int64_t>([&](std::int64_t& x) { x = i(); });
  }
  std::optional<double> od() {
    return opt<double>([&](double& x) { x = d(); });
  }
  [[noreturn]] static void fail() { throw Error(ErrorCode::index_corrupt, "a stored record in the index cannot be decoded"); }

 private:
  const char* take(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) fail();
    const char* at = p_;
    p_ += n;
    return at;
  }
  const char* p_;
  const char* end_;
};

void put_arm(Out& o, const Arm& a) {
  o.strs(a.concepts);
  o.s(a.label);
  o.s(a.kind);
}
void get_arm(In& in, Arm& a) {
  a.concepts = in.strs();
  a.label = in.s();
  a.kind = in.s();
}

void put_outcome(Out& o, const OutcomeResult& r) {
  o.s(r.domain);
  o.s(r.instrument);
  o.s(r.instrument_label);
  o.s(r.time_point);
  o.s(r.time_label);
  o.strs(r.intervention);
  o.strs(r.comparator);
  o.s(r.comparator_kind);
  o.s(r.direction);
  o.opt(r.effect, [&](const Effect& e) {
    o.s(e.measure);
    o.d(e.value);
    o.od(e.ci_low);
    o.od(e.ci_high);
    o.od(e.scale_min);
    o.od(e.scale_max);
    o.s(e.better);
    o.s(e.contrast);
    o.s(e.label);
  });
  o.oi(r.n_studies);
  o.oi(r.n_participants);
  o.opt(r.certainty, [&](const Certainty& c) {
    o.s(c.system);
    o.s(c.level);
    o.s(c.statement);
    o.strs(c.downgrades);
  });
  o.b(r.primary);
  o.s(r.result_text);
}
void get_outcome(In& in, OutcomeResult& r) {
  r.domain = in.s();
  r.instrument = in.s();
  r.instrument_label = in.s();
  r.time_point = in.s();
  r.time_label = in.s();
  r.intervention = in.strs();
  r.comparator = in.strs();
  r.comparator_kind = in.s();
  r.direction = in.s();
  r.effect = in.opt<Effect>([&](Effect& e) {
    e.measure = in.s();
    e.value = in.d();
    e.ci_low = in.od();
    e.ci_high = in.od();
    e.scale_min = in.od();
    e.scale_max = in.od();
    e.better = in.s();
    e.contrast = in.s();
    e.label = in.s();
  });
  r.n_studies = in.oi();
  r.n_participants = in.oi();
  r.certainty = in.opt<Certainty>([&](Certainty& c) {
    c.system = in.s();
    c.level = in.s();
    c.statement = in.s();
    c.downgrades = in.strs();
  });
  r.primary = in.b();
  r.result_text = in.s();
}

}  // namespace

std::string encode_study(const Study& s) {
  Out o;
  o.bytes += format_v1;
  o.s(s.id);
  o.s(s.identifiers.pmid);
  o.s(s.identifiers.doi);
  o.s(s.identifiers.nct);
  o.s(s.identifiers.pmcid);
  o.strs(s.identifiers.other);
  o.s(s.title);
  o.strs(s.authors);
  o.b(s.authors_complete);
  o.s(s.journal);
  o.s(s.citation);
  o.i(s.year);
  o.s(s.language);
  o.strs(s.publication_types);
  o.list(s.abstract, [&](const AbstractSection& a) {
    o.s(a.label);
    o.s(a.text);
  });
  o.s(s.design);
  o.b(s.meta_analysis);
  o.b(s.meta_analysis_stated);
  o.s(s.design_label);
  o.s(s.population.description);
  o.strs(s.population.conditions);
  o.s(s.population.duration);
  o.oi(s.population.n_randomised);
  o.oi(s.population.n_trials);
  o.oi(s.population.n_participants);
  o.list(s.interventions, [&](const Arm& a) { put_arm(o, a); });
  o.list(s.comparators, [&](const Arm& a) { put_arm(o, a); });
  o.list(s.outcomes, [&](const OutcomeResult& r) { put_outcome(o, r); });
  o.opt(s.quality.pedro, [&](const Pedro& p) {
    o.i(p.score);
    o.u(p.items.size());
    for (bool item : p.items) o.b(item);
    o.s(p.source);
  });
  o.opt(s.quality.risk_of_bias, [&](const RiskOfBias& r) {
    o.s(r.tool);
    o.s(r.overall);
    o.s(r.source);
    o.list(r.domains, [&](const RiskOfBiasDomain& d) {
      o.s(d.domain);
      o.s(d.judgement);
      o.s(d.support);
    });
  });
  o.s(s.quality.certainty_statement);
  o.s(s.quality.grading_system);
  o.strs(s.included_record_ids);
  o.s(s.summary.clinician);
  o.s(s.summary.plain);
  o.s(s.provenance.reference_row);
  o.strs(s.provenance.sources);
  o.list(s.provenance.unverified, [&](const UnverifiedField& f) {
    o.s(f.field);
    o.s(f.candidate);
    o.s(f.note);
  });
  o.b(s.provenance.secondary_source);
  o.s(s.provenance.notes);
  o.b(s.retracted);
  const Annotation& a = s.annotation;
  o.u(a.origins.size());
  for (const auto& [field, origin] : a.origins) {
    o.s(field);
    o.u(static_cast<std::uint64_t>(origin));
  }
  o.s(a.quality_basis);
  o.d(a.quality_score);
  o.b(a.quality_estimated);
  o.i(a.evidence_level);
  o.strs(a.mesh_terms);
  o.strs(a.keywords);
  o.strs(a.sources);
  o.strs(a.files);
  o.s(a.status);
  return std::move(o.bytes);
}

Study decode_stored_study(std::string_view data) {
  if (!data.empty() && data.front() == '{') {
    try {
      return study_from_json(nlohmann::json::parse(data));
    } catch (const nlohmann::json::exception&) {
      In::fail();
    }
  }
  if (data.empty() || data.front() != format_v1) In::fail();
  In in(data.substr(1));
  Study s;
  s.id = in.s();
  s.identifiers.pmid = in.s();
  s.identifiers.doi = in.s();
  s.identifiers.nct = in.s();
  s.identifiers.pmcid = in.s();
  s.identifiers.other = in.strs();
  s.title = in.s();
  s.authors = in.strs();
  s.authors_complete = in.b();
  s.journal = in.s();
  s.citation = in.s();
  s.year = static_cast<int>(in.i());
  s.language = in.s();
  s.publication_types = in.strs();
  s.abstract = in.list<AbstractSection>([&](AbstractSection& a) {
    a.label = in.s();
    a.text = in.s();
  });
  s.design = in.s();
  s.meta_analysis = in.b();
  s.meta_analysis_stated = in.b();
  s.design_label = in.s();
  s.population.description = in.s();
  s.population.conditions = in.strs();
  s.population.duration = in.s();
  s.population.n_randomised = in.oi();
  s.population.n_trials = in.oi();
  s.population.n_participants = in.oi();
  s.interventions = in.list<Arm>([&](Arm& a) { get_arm(in, a); });
  s.comparators = in.list<Arm>([&](Arm& a) { get_arm(in, a); });
  s.outcomes = in.list<OutcomeResult>([&](OutcomeResult& r) { get_outcome(in, r); });
  s.quality.pedro = in.opt<Pedro>([&](Pedro& p) {
    p.score = static_cast<int>(in.i());
    p.items.resize(in.count());
    for (std::size_t k = 0; k < p.items.size(); ++k) p.items[k] = in.b();
    p.source = in.s();
  });
  s.quality.risk_of_bias = in.opt<RiskOfBias>([&](RiskOfBias& r) {
    r.tool = in.s();
    r.overall = in.s();
    r.source = in.s();
    r.domains = in.list<RiskOfBiasDomain>([&](RiskOfBiasDomain& d) {
      d.domain = in.s();
      d.judgement = in.s();
      d.support = in.s();
    });
  });
  s.quality.certainty_statement = in.s();
  s.quality.grading_system = in.s();
  s.included_record_ids = in.strs();
  s.summary.clinician = in.s();
  s.summary.plain = in.s();
  s.provenance.reference_row = in.s();
  s.provenance.sources = in.strs();
  s.provenance.unverified = in.list<UnverifiedField>([&](UnverifiedField& f) {
    f.field = in.s();
    f.candidate = in.s();
    f.note = in.s();
  });
  s.provenance.secondary_source = in.b();
  s.provenance.notes = in.s();
  s.retracted = in.b();
  Annotation& a = s.annotation;
  for (std::size_t n = in.count(); n > 0; --n) {
    std::string field = in.s();
    const std::uint64_t origin = in.u();
    if (origin > static_cast<std::uint64_t>(Origin::estimated)) In::fail();
    a.origins[std::move(field)] = static_cast<Origin>(origin);
  }
  a.quality_basis = in.s();
  a.quality_score = in.d();
  a.quality_estimated = in.b();
  a.evidence_level = static_cast<int>(in.i());
  a.mesh_terms = in.strs();
  a.keywords = in.strs();
  a.sources = in.strs();
  a.files = in.strs();
  a.status = in.s();
  if (!in.at_end()) In::fail();
  return s;
}

}  // namespace evidence
