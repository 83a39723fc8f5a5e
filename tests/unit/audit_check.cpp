#include "audit_check.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <numeric>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"

namespace evidence::test {

namespace fs = std::filesystem;
using nlohmann::json;

RecordsById load_audit_records(const fs::path& corpus_dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(corpus_dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  RecordsById out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    try {
      Study s = study_from_json(json::parse(in));
      std::string id = s.id;
      out.emplace(std::move(id), std::move(s));
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot read curated record " + f.string() + ": " + e.what());
    }
  }
  return out;
}

std::string AuditProblem::to_string() const {
  std::string s = question_id;
  if (!finding_key.empty()) s += " [" + finding_key + "]";
  return s + " " + check + ": " + message;
}

namespace {

// ---- Certainty levels ------------------------------------------------------------------------

constexpr int very_low = 1, low = 2, moderate = 3, high = 4;

int level_rank(const std::string& level) {
  if (level == "high") return high;
  if (level == "moderate") return moderate;
  if (level == "low") return low;
  if (level == "very_low") return very_low;
  return 0;
}

const char* level_name(int rank) {
  switch (rank) {
    case high: return "high";
    case moderate: return "moderate";
    case low: return "low";
    case very_low: return "very_low";
    default: return "none";
  }
}

// ---- Small JSON helpers (the answer may lack fields while the engine changes) ----------------

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string str(const json& j, const char* outer, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(outer);
  return it != j.end() ? str(*it, key) : std::string();
}

std::int64_t integer(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

std::string joined(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// ---- Findings as the checks see them --------------------------------------------------------

struct FindingView {
  std::string key, intervention, comparator_kind, outcome, time_point, direction, certainty, effect_source;
  // The condition concept of the finding's population: its "id", else its label mapped back to the
  // concept whose preferred name it is. Empty with population_label set when the label is not a
  // vocabulary condition; both empty when the finding names no population.
  std::string population, population_label;
  std::int64_t n_studies = 0, n_participants = 0;
  std::vector<std::string> record_ids;
  std::set<std::string> used_in_estimate;
  std::vector<std::string> add_on;  // background treatment of an add-on comparison ("adding A to B")
  bool indirect = false;            // evidence from a population beside or broader than the question's
};

std::string condition_of_label(const std::string& label, const Vocabulary& v) {
  const std::string folded = normalise(label);
  if (folded.empty()) return {};
  for (const auto& c : v.concepts())
    if (c.kind == "condition" && normalise(c.preferred) == folded) return c.id;
  if (const Concept* c = v.lookup(label); c && c->kind == "condition") return c->id;
  return {};
}

FindingView view_of(const json& f, const Vocabulary& v) {
  FindingView x;
  x.key = str(f, "key");
  x.intervention = str(f, "intervention", "id");
  x.comparator_kind = str(f, "comparator", "kind");
  if (const auto c = f.find("comparator"); c != f.end() && c->is_object())
    if (const auto a = c->find("add_on"); a != c->end() && a->is_object())
      for (const auto& id : a->value("concepts", json::array()))
        if (id.is_string()) x.add_on.push_back(id.get<std::string>());
  x.outcome = str(f, "outcome", "id");
  x.indirect = f.value("indirect", false);
  x.time_point = str(f, "time_point");
  x.direction = str(f, "direction");
  x.certainty = str(f, "certainty", "level");
  x.effect_source = str(f, "effect_source");
  x.n_studies = integer(f, "n_studies");
  x.n_participants = integer(f, "n_participants");
  x.population = str(f, "population", "id");
  x.population_label = str(f, "population", "label");
  if (x.population.empty() && !x.population_label.empty()) x.population = condition_of_label(x.population_label, v);
  if (const auto it = f.find("record_ids"); it != f.end() && it->is_array())
    for (const auto& r : *it)
      if (r.is_string()) x.record_ids.push_back(r.get<std::string>());
  if (const auto it = f.find("results"); it != f.end() && it->is_array())
    for (const auto& r : *it)
      if (r.value("used_in_estimate", false)) x.used_in_estimate.insert(str(r, "record_id"));
  if (x.key.empty()) x.key = x.intervention + "|" + x.comparator_kind + "|" + x.outcome + "|" + x.time_point;
  return x;
}

std::vector<FindingView> findings_of(const json& summary, const Vocabulary& v) {
  std::vector<FindingView> out;
  if (!summary.is_object()) return out;
  const auto it = summary.find("findings");
  if (it == summary.end() || !it->is_array()) return out;
  for (const auto& f : *it) out.push_back(view_of(f, v));
  return out;
}

// ---- A record's results for one finding -----------------------------------------------------

bool is_review(const Study& s) {
  return s.design == Design::systematic_review || s.design == Design::guideline ||
         s.design == Design::narrative_review || s.population.n_trials.has_value();
}

// The results of a record that belong to a finding: same intervention concept or narrower, same
// comparator kind, outcome domain and time point.
std::vector<const OutcomeResult*> matching_results(const Study& s, const FindingView& f, const Vocabulary& v) {
  std::vector<const OutcomeResult*> out;
  for (const auto& o : s.outcomes) {
    if (comparator_kind_name(o.comparator_kind) != f.comparator_kind || o.domain != f.outcome ||
        o.time_point != f.time_point || o.add_on != f.add_on)
      continue;
    if (std::any_of(o.intervention.begin(), o.intervention.end(),
                    [&](const std::string& c) { return v.is_a(c, f.intervention); }))
      out.push_back(&o);
  }
  return out;
}

// A count the records give, or nothing when they do not (a review without a trial count, a record
// without participants): a bound that is not known is not checked.
using Count = std::optional<std::int64_t>;

Count larger(Count a, Count b) { return a && b ? Count(std::max(*a, *b)) : std::nullopt; }
Count added(Count a, Count b) { return a && b ? Count(*a + *b) : std::nullopt; }
// The tighter of two bounds, either of which may be unknown.
Count tighter(Count a, Count b) { return a && b ? Count(std::min(*a, *b)) : a ? a : b; }
// The larger of the bounds that are known (reports of one trial: any of them bounds it).
Count larger_known(Count a, Count b) { return a && b ? Count(std::max(*a, *b)) : a ? a : b; }

std::string shown(Count c) { return c ? std::to_string(*c) : "?"; }

struct Figures {
  Count studies, participants;
};

// What the record gives for this comparison. Results of one population are one set of trials
// (LBP022's two response thresholds are one trial), so the largest counts; results of different
// populations (schema 2: a review's sciatica subgroup) are different trials and add up; never
// beyond the record's totals. A result without its own counts stands for the record's totals.
Figures figures_of(const Study& s, const std::vector<const OutcomeResult*>& results) {
  // A report of several trials (MINT: three RCTs in one paper) gives its number of trials.
  const Figures totals{is_review(s) ? s.population.n_trials : s.population.n_trials.value_or(1),
                       s.participants() > 0 ? Count(s.participants()) : std::nullopt};
  if (results.empty()) return totals;
  std::map<std::string, Figures> by_population;
  for (const OutcomeResult* o : results) {
    std::string key;
    if (o->population) key = joined(o->population->conditions, "+") + "|" + o->population->duration;
    const Figures own{o->n_studies ? o->n_studies : totals.studies,
                      o->n_participants ? o->n_participants : totals.participants};
    const auto [it, fresh] = by_population.emplace(key, own);
    if (!fresh)
      it->second = {larger(it->second.studies, own.studies), larger(it->second.participants, own.participants)};
  }
  Figures sum{0, 0};
  for (const auto& [key, x] : by_population)
    sum = {added(sum.studies, x.studies), added(sum.participants, x.participants)};
  return {tighter(sum.studies, totals.studies), tighter(sum.participants, totals.participants)};
}

// ---- Distinct trials ------------------------------------------------------------------------

// The records of a finding that are counted, as groups that are one study each: a review's
// superseded version and the trials a present review lists as included are dropped, and records
// linked by same_trial_as form one group.
struct Unit {
  std::vector<const Study*> members;
};

struct Distinct {
  std::vector<Unit> units;
  std::vector<std::string> dropped;  // "LBP010 (superseded by LBP011)"
  std::vector<std::string> unknown;  // record ids that are not curated records
};

bool lists(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

Distinct distinct_units(const std::vector<std::string>& record_ids, const RecordsById& records) {
  Distinct d;
  std::vector<const Study*> present;
  for (const auto& id : std::set<std::string>(record_ids.begin(), record_ids.end())) {
    const auto it = records.find(id);
    if (it == records.end())
      d.unknown.push_back(id);
    else
      present.push_back(&it->second);
  }
  std::vector<const Study*> kept;
  for (const Study* s : present) {
    const auto by = std::find_if(present.begin(), present.end(),
                                 [&](const Study* o) { return o != s && lists(o->supersedes, s->id); });
    if (by != present.end())
      d.dropped.push_back(s->id + " (superseded by " + (*by)->id + ")");
    else
      kept.push_back(s);
  }
  std::vector<const Study*> counted;
  for (const Study* s : kept) {
    const auto by = std::find_if(kept.begin(), kept.end(),
                                 [&](const Study* o) { return o != s && lists(o->included_record_ids, s->id); });
    if (by != kept.end())
      d.dropped.push_back(s->id + " (included in " + (*by)->id + ")");
    else
      counted.push_back(s);
  }
  // Union-find over same_trial_as, which either report may state.
  std::vector<std::size_t> parent(counted.size());
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const auto root = [&parent](std::size_t i) {
    while (parent[i] != i) i = parent[i];
    return i;
  };
  for (std::size_t i = 0; i < counted.size(); ++i)
    for (std::size_t j = i + 1; j < counted.size(); ++j)
      if (lists(counted[i]->same_trial_as, counted[j]->id) || lists(counted[j]->same_trial_as, counted[i]->id))
        parent[root(j)] = root(i);
  std::map<std::size_t, Unit> groups;
  for (std::size_t i = 0; i < counted.size(); ++i) groups[root(i)].members.push_back(counted[i]);
  for (auto& [r, u] : groups) d.units.push_back(std::move(u));
  return d;
}

std::string unit_name(const Unit& u) {
  std::vector<std::string> ids;
  for (const Study* s : u.members) ids.push_back(s->id);
  return joined(ids, "+");
}

// ---- Certainty caps (tests/audit/README.md "How max_certainty and record_caps were set") ----

// Cochrane reviews that word their conclusions the GRADE way carry a GRADE level.
bool grade_wording(const std::string& statement) {
  const std::string s = normalise(statement);
  for (const char* w : {"probably", " may ", "quality evidence", "certainty"})
    if (s.find(w) != std::string::npos) return true;
  return s.rfind("may ", 0) == 0;
}

// The ceiling a source's own rating allows: a GRADE level as stated; an unrated source or another
// system at most moderate, lower when its own level is lower; "insufficient" very low.
int rating_cap(const OutcomeResult& o) {
  if (!o.certainty) return moderate;
  const Certainty& c = *o.certainty;
  if (c.level == "insufficient") return very_low;
  const int stated = level_rank(c.level);
  if (c.system == "GRADE" || (c.system == "Cochrane" && grade_wording(c.statement))) return stated ? stated : moderate;
  return stated ? std::min(stated, moderate) : moderate;
}

// As-treated and observational comparisons start low. A network estimate is indirect by
// construction, so it is held to moderate (as the brief of this audit sets it).
int analysis_cap(const Study& s, const OutcomeResult& o) {
  const std::string a = analysis_of(s, o);
  if (a == "as_treated" || a == "observational") return low;
  if (a == "network") return moderate;
  return high;
}

struct Cap {
  int source = 0;  // the rating and analysis ceilings only
  int alone = 0;   // also the single-trial ceiling, for a result that is the only study of its part
};

// One trial: consistency cannot be judged (moderate); fewer than 400 randomised is imprecise too (low).
int single_trial_cap(const Study& s, const OutcomeResult* o) {
  const bool single = !is_review(s) || (o && o->n_studies && *o->n_studies == 1);
  if (!single) return high;
  const std::int64_t n = o && o->n_participants ? *o->n_participants : s.participants();
  return n > 0 && n < 400 ? low : moderate;
}

Cap result_cap(const Study& s, const OutcomeResult& o) {
  const int source = std::min(rating_cap(o), analysis_cap(s, o));
  return {source, std::min(source, single_trial_cap(s, &o))};
}

// A record superseded by an update is held to the update's rating for the same comparison
// (README: the update's rating governs); otherwise to its own results' caps, or to an unrated
// source's cap when none of its results match the finding.
Cap record_cap(const Study& s, const FindingView& f, const AuditContext& ctx, int depth = 0) {
  if (depth < 4)
    for (const auto& [id, u] : ctx.records)
      if (lists(u.supersedes, s.id) && !matching_results(u, f, ctx.vocabulary).empty())
        return record_cap(u, f, ctx, depth + 1);
  const auto results = matching_results(s, f, ctx.vocabulary);
  if (results.empty()) {
    const int source = std::min(moderate, analysis_cap(s, OutcomeResult{}));
    return {source, std::min(source, single_trial_cap(s, nullptr))};
  }
  Cap c;
  for (const OutcomeResult* o : results) {
    const Cap r = result_cap(s, *o);
    c.source = std::max(c.source, r.source);
    c.alone = std::max(c.alone, r.alone);
  }
  return c;
}

// The highest certainty a finding may claim: the best of its counted units, where several single
// trials together are a pool (consistency can be judged) held to low under 400 participants.
struct Ceiling {
  int level = 0;
  std::string why;
};

Ceiling finding_ceiling(const FindingView& f, const Distinct& d, const AuditContext& ctx) {
  Ceiling best;
  std::vector<std::pair<const Unit*, Cap>> trials;
  Count pooled_participants = 0;
  for (const Unit& u : d.units) {
    Cap cap;
    bool review = false;
    Count participants;
    for (const Study* s : u.members) {
      const Cap c = record_cap(*s, f, ctx);
      cap.source = std::max(cap.source, c.source);
      cap.alone = std::max(cap.alone, c.alone);
      review = review || is_review(*s);
      participants = larger_known(participants, figures_of(*s, matching_results(*s, f, ctx.vocabulary)).participants);
    }
    if (review) {
      if (cap.alone > best.level) best = {cap.alone, unit_name(u) + " allows " + level_name(cap.alone)};
    } else {
      trials.emplace_back(&u, cap);
      pooled_participants = added(pooled_participants, participants);
    }
  }
  if (trials.size() == 1) {
    const auto& [u, cap] = trials.front();
    if (cap.alone > best.level)
      best = {cap.alone, "single trial " + unit_name(*u) + " allows " + level_name(cap.alone)};
  } else if (trials.size() > 1) {
    int pool = 0;
    std::vector<std::string> names;
    for (const auto& [u, cap] : trials) {
      pool = std::max(pool, cap.source);
      names.push_back(unit_name(*u));
    }
    if (pooled_participants && *pooled_participants < 400) pool = std::min(pool, low);
    if (pool > best.level)
      best = {pool, "trials " + joined(names) + " (" + shown(pooled_participants) + " participants) allow " +
                        level_name(pool)};
  }
  return best;
}

// ---- Populations ----------------------------------------------------------------------------

// A label names a population the results studied when it is one of their conditions or broader;
// or when it is a duration-specific concept ("chronic low back pain") narrower than a studied
// condition of that duration (low back pain, chronic).
bool population_studied(const std::string& label, const ResultPopulation& p, const Vocabulary& v) {
  const std::string_view implied = duration_of_condition(label);
  for (const auto& c : p.conditions) {
    if (v.is_a(c, label)) return true;
    if (!implied.empty() && p.duration == implied && v.is_a(label, c)) return true;
  }
  return false;
}

std::vector<ResultPopulation> populations_of(const FindingView& f, const AuditContext& ctx) {
  std::vector<ResultPopulation> out;
  for (const auto& id : f.record_ids) {
    const auto it = ctx.records.find(id);
    if (it == ctx.records.end()) continue;
    const Study& s = it->second;
    const auto results = matching_results(s, f, ctx.vocabulary);
    if (results.empty()) out.push_back({s.population.conditions, s.population.duration, {}});
    for (const OutcomeResult* o : results) out.push_back(population_of(s, *o));
  }
  return out;
}

// ---- Problems -------------------------------------------------------------------------------

struct Problems {
  std::string question_id;
  std::vector<AuditProblem> list;
  void add(ProblemFamily family, const std::string& key, const std::string& check, const std::string& message) {
    list.push_back({question_id, key, check, message, family});
  }
};

void check_counts(const FindingView& f, const Distinct& d, const AuditContext& ctx, Problems& out) {
  if (!d.unknown.empty())
    out.add(ProblemFamily::invariant, f.key, "counts",
            "record_ids name records that are not curated: " + joined(d.unknown));
  Figures bound{0, 0};
  std::vector<std::string> parts;
  for (const Unit& u : d.units) {
    Figures most;
    for (const Study* s : u.members) {
      const Figures x = figures_of(*s, matching_results(*s, f, ctx.vocabulary));
      most = {larger_known(most.studies, x.studies), larger_known(most.participants, x.participants)};
    }
    bound = {added(bound.studies, most.studies), added(bound.participants, most.participants)};
    parts.push_back(unit_name(u) + " " + shown(most.studies) + "/" + shown(most.participants));
  }
  std::string basis = "distinct records (studies/participants): " + joined(parts);
  if (!d.dropped.empty()) basis += "; not counted: " + joined(d.dropped);
  if (bound.studies && f.n_studies > *bound.studies)
    out.add(ProblemFamily::invariant, f.key, "counts",
            "n_studies " + std::to_string(f.n_studies) + " exceeds " + shown(bound.studies) + " from " + basis);
  if (bound.participants && f.n_participants > *bound.participants)
    out.add(ProblemFamily::invariant, f.key, "counts",
            "n_participants " + std::to_string(f.n_participants) + " exceeds " + shown(bound.participants) + " from " +
                basis);
}

void check_ceiling(const FindingView& f, const Distinct& d, const AuditContext& ctx, Problems& out) {
  const int claimed = level_rank(f.certainty);
  if (d.units.empty() || claimed == 0) return;
  const Ceiling c = finding_ceiling(f, d, ctx);
  if (claimed > c.level)
    out.add(ProblemFamily::invariant, f.key, "certainty_ceiling",
            "certainty " + f.certainty + " above " + level_name(c.level) + " (" + c.why + ")");
}

void check_population(const FindingView& f, const AuditContext& ctx, Problems& out) {
  if (f.population.empty()) {
    if (!f.population_label.empty())
      out.add(ProblemFamily::invariant, f.key, "population",
              "population label \"" + f.population_label + "\" is not a vocabulary condition");
    return;
  }
  const auto populations = populations_of(f, ctx);
  if (populations.empty()) return;  // no curated record to compare with: reported under counts
  for (const auto& p : populations)
    if (population_studied(f.population, p, ctx.vocabulary)) return;
  std::set<std::string> studied;
  for (const auto& p : populations)
    for (const auto& c : p.conditions) studied.insert(c + (p.duration.empty() ? "" : " (" + p.duration + ")"));
  out.add(ProblemFamily::invariant, f.key, "population",
          "labelled " + f.population + " but its results studied " +
              joined(std::vector<std::string>(studied.begin(), studied.end())) + " (" + joined(f.record_ids) + ")");
}

bool opposite(const std::string& a, const std::string& b) {
  const auto either = [&](const char* x, const char* y) { return (a == x && b == y) || (a == y && b == x); };
  return either("favours_intervention", "favours_comparator") || either("favours_intervention", "no_difference");
}

void check_coherence(const std::vector<FindingView>& findings, Problems& out) {
  for (std::size_t i = 0; i < findings.size(); ++i)
    for (std::size_t j = i + 1; j < findings.size(); ++j) {
      const FindingView &a = findings[i], &b = findings[j];
      if (a.intervention != b.intervention || a.comparator_kind != b.comparator_kind || a.add_on != b.add_on ||
          a.outcome != b.outcome || a.time_point != b.time_point || a.population != b.population ||
          a.population_label != b.population_label)
        continue;
      if (level_rank(a.certainty) < moderate || level_rank(b.certainty) < moderate) continue;
      if (opposite(a.direction, b.direction))
        out.add(ProblemFamily::invariant, a.key, "coherence",
                a.direction + " (" + a.certainty + ") against " + b.direction + " (" + b.certainty +
                    ") in another finding for the same comparison and population [" + b.key + "]");
    }
}

// ---- The question's scope -------------------------------------------------------------------

enum class Reading { outside, forward, reversed };

// The comparator kind a named comparator stands for (README: sham/placebo, usual care, no
// treatment/waiting list, a treatment); for one outside that list (minimal intervention) the
// question's own comparator_kind.
std::string expected_kind(const std::string& comparator, const std::string& stated, const Vocabulary& v) {
  if (v.is_a(comparator, "placebo")) return "placebo_sham";
  if (v.is_a(comparator, "usual_care")) return "usual_care";
  if (v.is_a(comparator, "no_treatment")) return "no_treatment";
  const Concept* c = v.find(comparator);
  if (c && c->kind == "intervention") return "active";
  return stated;
}

bool related(const Vocabulary& v, const std::string& a, const std::string& b) { return v.is_a(a, b) || v.is_a(b, a); }

// Whether some result of the finding compares against `concept_id`.
bool compares_against(const FindingView& f, const std::string& concept_id, const AuditContext& ctx) {
  for (const auto& id : f.record_ids) {
    const auto it = ctx.records.find(id);
    if (it == ctx.records.end()) continue;
    for (const OutcomeResult* o : matching_results(it->second, f, ctx.vocabulary))
      for (const auto& c : o->comparator)
        if (related(ctx.vocabulary, c, concept_id)) return true;
  }
  return false;
}

bool is_intervention(const std::string& id, const Vocabulary& v) {
  const Concept* c = v.find(id);
  return c && c->kind == "intervention";
}

// The finding is about the question's treatment (or narrower), or the question's comparison read
// the other way round (A003: surgery vs physiotherapy stored for "physio vs an operation").
Reading reading_of(const FindingView& f, const json& expect, const AuditContext& ctx) {
  const std::string asked = expect.value("intervention", "");
  const std::string comparator = str(expect, "comparator");
  if (ctx.vocabulary.is_a(f.intervention, asked)) return Reading::forward;
  if (!comparator.empty() && is_intervention(comparator, ctx.vocabulary) &&
      ctx.vocabulary.is_a(f.intervention, comparator) && compares_against(f, asked, ctx))
    return Reading::reversed;
  return Reading::outside;
}

// Within the question's comparison: the treatment, and when a comparator is named its kind (and
// for a named treatment, a result that compares against it).
bool within_comparison(const FindingView& f, Reading r, const json& expect, const AuditContext& ctx) {
  if (r == Reading::outside) return false;
  const std::string comparator = str(expect, "comparator");
  if (comparator.empty()) return true;
  const std::string stated = str(expect, "comparator_kind");
  if (f.comparator_kind != expected_kind(comparator, stated, ctx.vocabulary)) return false;
  if (r == Reading::forward && is_intervention(comparator, ctx.vocabulary)) return compares_against(f, comparator, ctx);
  return true;
}

// The records a finding's effect comes from: the one(s) whose estimate it uses when that is a
// review's or a single study's, or its only counted study.
std::map<std::string, std::string> effect_records(const FindingView& f, const Distinct& d) {
  std::map<std::string, std::string> out;  // record -> how the effect comes from it
  if (d.units.size() == 1)
    for (const Study* s : d.units.front().members) out[s->id] = "its only study";
  if (f.effect_source == "review" || f.effect_source == "single")
    for (const auto& id : f.used_in_estimate) out[id] = "its " + f.effect_source + " estimate";
  return out;
}

void check_question_caps(const std::vector<FindingView>& findings, const json& expect, const AuditContext& ctx,
                         Problems& out) {
  const int max_level = level_rank(str(expect, "max_certainty"));
  const json caps = expect.value("record_caps", json::object());
  for (const FindingView& f : findings) {
    const int claimed = level_rank(f.certainty);
    if (claimed == 0 || !within_comparison(f, reading_of(f, expect, ctx), expect, ctx)) continue;
    // The question's cap is for its own population; indirect evidence from another population is
    // held to its records' caps (below) and to the ceiling of its sources.
    if (max_level && claimed > max_level && !f.indirect)
      out.add(ProblemFamily::invariant, f.key, "max_certainty",
              "certainty " + f.certainty + " above the question's max_certainty " + level_name(max_level));
    const Distinct d = distinct_units(f.record_ids, ctx.records);
    for (const auto& [id, how] : effect_records(f, d)) {
      const auto it = caps.find(id);
      if (it == caps.end() || !it->is_string()) continue;
      const int cap = level_rank(it->get<std::string>());
      if (cap && claimed > cap)
        out.add(ProblemFamily::invariant, f.key, "record_cap",
                "certainty " + f.certainty + " above " + level_name(cap) + ", the question's cap for " + id + " (" +
                    how + ")");
    }
  }
}

// ---- Expectations ---------------------------------------------------------------------------

std::string oriented_direction(const FindingView& f, Reading r) {
  if (r != Reading::reversed) return f.direction;
  if (f.direction == "favours_intervention") return "favours_comparator";
  if (f.direction == "favours_comparator") return "favours_intervention";
  return f.direction;
}

bool direction_matches(const std::string& expected, const std::vector<std::pair<const FindingView*, Reading>>& cands,
                       const FindingView& f, Reading r) {
  const std::string d = oriented_direction(f, r);
  if (expected == "benefit") return d == "favours_intervention";
  if (expected == "harm") return d == "favours_comparator";
  if (expected == "no_difference") return d == "no_difference";
  if (expected == "mixed") {
    if (d == "conflicting") return true;
    // Findings for the comparison (other time points, or narrower treatments) pointing another way.
    static const std::set<std::string> pointing{"favours_intervention", "favours_comparator", "no_difference"};
    if (!pointing.count(d)) return false;
    for (const auto& [g, gr] : cands) {
      const std::string e = oriented_direction(*g, gr);
      if (pointing.count(e) && e != d) return true;
    }
    return false;
  }
  return true;  // null: the sheet does not decide
}

std::vector<std::string> ids_in(const std::string& text) {
  static const std::regex record_id(R"(\bLBP\d{3}\b)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), record_id); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

std::string describe(const FindingView& f) {
  const std::string population = !f.population.empty()         ? f.population
                                 : !f.population_label.empty() ? "\"" + f.population_label + "\""
                                                               : "no population";
  return f.key + " (" + f.direction + ", " + f.certainty + ", " + population + ")";
}

}  // namespace

std::vector<AuditProblem> check_invariants(const AuditContext& ctx, const json& question, const json& summary) {
  Problems out{question.value("id", "?"), {}};
  const std::vector<FindingView> findings = findings_of(summary, ctx.vocabulary);
  for (const FindingView& f : findings) {
    const Distinct d = distinct_units(f.record_ids, ctx.records);
    check_counts(f, d, ctx, out);
    check_ceiling(f, d, ctx, out);
    check_population(f, ctx, out);
  }
  check_coherence(findings, out);
  if (question.contains("expect")) check_question_caps(findings, question.at("expect"), ctx, out);
  return std::move(out.list);
}

std::vector<AuditProblem> check_expectation(const AuditContext& ctx, const json& question, const json& search) {
  Problems out{question.value("id", "?"), {}};
  const json& expect = question.at("expect");
  const auto E = ProblemFamily::expectation;

  // Records first: each among the first five hits.
  std::vector<std::string> top;
  if (search.contains("hits") && search.at("hits").is_array())
    for (const auto& h : search.at("hits")) {
      if (top.size() == 5) break;
      top.push_back(str(h, "id"));
    }
  for (const auto& id : expect.value("records_first", std::vector<std::string>{}))
    if (!lists(top, id)) out.add(E, "", "records_first", id + " not in the first 5 hits (" + joined(top) + ")");

  const json summary = search.value("summary", json());
  const std::vector<FindingView> findings = findings_of(summary, ctx.vocabulary);
  const std::string comparator_kind = str(expect, "comparator_kind");
  const std::string outcome = str(expect, "outcome");
  const std::string time_point = str(expect, "time_point");
  const std::string direction = str(expect, "direction");
  // A062 (cold therapy) names no comparison, outcome or direction: any finding is optional there.
  const bool key_named = !comparator_kind.empty() || !outcome.empty() || !direction.empty();
  if (findings.empty()) {
    if (key_named) {
      std::string messages;
      if (summary.is_object() && summary.contains("messages")) messages = summary.at("messages").dump();
      out.add(E, "", "findings", "the summary has no findings " + messages);
    }
    return std::move(out.list);
  }

  const std::string asked = expect.value("intervention", "");
  const std::string comparator = str(expect, "comparator");
  std::vector<std::pair<const FindingView*, Reading>> in_scope;
  std::map<std::string, std::size_t> off_target;  // intervention -> findings
  for (const FindingView& f : findings) {
    const Reading r = reading_of(f, expect, ctx);
    if (r == Reading::outside)
      ++off_target[f.intervention];
    else
      in_scope.emplace_back(&f, r);
    if (!comparator.empty()) {
      const std::string kind = expected_kind(comparator, comparator_kind, ctx.vocabulary);
      if (f.comparator_kind != kind)
        out.add(E, f.key, "comparator",
                "comparator kind " + f.comparator_kind + " where the question compares with " + comparator + " (" +
                    kind + ")");
    }
  }

  // One problem for all the findings about other treatments: a misread question gives dozens.
  if (!off_target.empty()) {
    std::vector<std::string> what;
    std::size_t n = 0;
    for (const auto& [i, k] : off_target) {
      what.push_back(i + " (" + std::to_string(k) + ")");
      n += k;
    }
    out.add(E, "", "intervention",
            std::to_string(n) + " of " + std::to_string(findings.size()) + " findings are not about " + asked +
                " or narrower" + (comparator.empty() ? "" : " (nor its comparison with " + comparator + " reversed)") +
                ": " + joined(what));
  }

  // The key finding: the comparison, outcome and time point of the sheet's key result.
  std::vector<std::pair<const FindingView*, Reading>> key;
  for (const auto& [f, r] : in_scope)
    if ((comparator_kind.empty() || f->comparator_kind == comparator_kind) &&
        (outcome.empty() || f->outcome == outcome) && (time_point.empty() || f->time_point == time_point))
      key.emplace_back(f, r);
  const std::string wanted = asked + "|" + (comparator_kind.empty() ? "*" : comparator_kind) + "|" +
                             (outcome.empty() ? "*" : outcome) + "|" + (time_point.empty() ? "*" : time_point);
  if (key.empty() && key_named) {
    std::vector<std::string> have;
    for (const FindingView& f : findings) {
      if (have.size() == 8) {
        have.push_back("...");
        break;
      }
      have.push_back(f.key);
    }
    out.add(E, "", "key_finding", "no finding " + wanted + " (findings: " + joined(have) + ")");
  } else if (!key.empty()) {
    std::set<std::string> populations{str(expect, "population")};
    for (const auto& p : expect.value("population_also", std::vector<std::string>{})) populations.insert(p);
    std::vector<std::pair<const FindingView*, Reading>> pointing;
    for (const auto& [f, r] : key)
      if (direction.empty() || direction_matches(direction, key, *f, r)) pointing.emplace_back(f, r);
    std::vector<std::string> seen;
    for (const auto& [f, r] : key) seen.push_back(describe(*f) + (r == Reading::reversed ? " (reversed)" : ""));
    if (pointing.empty()) {
      out.add(E, "", "direction", "expected " + direction + " for " + wanted + ", found " + joined(seen, "; "));
    } else if (std::none_of(pointing.begin(), pointing.end(),
                            [&](const auto& p) { return populations.count(p.first->population) > 0; })) {
      const std::vector<std::string> allowed(populations.begin(), populations.end());
      out.add(E, "", "key_population",
              "expected population " + joined(allowed, " or ") + " for " + wanted + ", found " + joined(seen, "; "));
    }
  }

  // must_show is always a harm (tests/audit/README.md): an adverse-events finding for the
  // treatment, with one of the named records behind it when the text names records.
  for (const auto& text : expect.value("must_show", std::vector<std::string>{})) {
    const std::vector<std::string> named = ids_in(text);
    const bool shown = std::any_of(in_scope.begin(), in_scope.end(), [&](const auto& p) {
      const FindingView& f = *p.first;
      if (f.outcome != "adverse_events") return false;
      return named.empty() ||
             std::any_of(named.begin(), named.end(), [&](const auto& id) { return lists(f.record_ids, id); });
    });
    if (!shown)
      out.add(E, "", "must_show",
              "no adverse_events finding" + (named.empty() ? std::string() : " with " + joined(named, " or ")) + ": " +
                  text);
  }
  // must_not is prose ("LBP008's finding labelled chronic_low_back_pain ..."). What it forbids
  // mechanically is already checked above (certainty ceilings, record caps, populations studied);
  // the rest needs reading, so it is not checked here.
  return std::move(out.list);
}

std::vector<AuditProblem> audit_answer(const AuditContext& ctx, const json& question, const json& search) {
  std::vector<AuditProblem> out = check_invariants(ctx, question, search.value("summary", json()));
  for (auto& p : check_expectation(ctx, question, search)) out.push_back(std::move(p));
  return out;
}

std::string audit_request_path(const json& question) {
  static const char* hex = "0123456789ABCDEF";
  std::string q;
  for (const char ch : question.at("q").get<std::string>()) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      q += static_cast<char>(c);
    } else {
      q += '%';
      q += hex[c >> 4];
      q += hex[c & 15];
    }
  }
  return "/api/search?q=" + q + "&per_page=5";
}

void AuditTally::add(const std::vector<AuditProblem>& problems) {
  ++questions;
  std::set<std::string> inv, exp;
  for (const auto& p : problems) {
    if (p.family == ProblemFamily::invariant) {
      ++invariant_problems[p.check];
      inv.insert(p.check);
    } else {
      ++expectation_problems[p.check];
      exp.insert(p.check);
    }
  }
  for (const auto& c : inv) ++invariant_questions[c];
  for (const auto& c : exp) ++expectation_questions[c];
  if (inv.empty()) ++invariants_passing;
  if (exp.empty()) ++expectations_passing;
  if (problems.empty()) ++passing;
}

std::size_t AuditTally::invariant_total() const {
  std::size_t n = 0;
  for (const auto& [c, k] : invariant_problems) n += k;
  return n;
}

std::size_t AuditTally::expectation_total() const {
  std::size_t n = 0;
  for (const auto& [c, k] : expectation_problems) n += k;
  return n;
}

std::string AuditTally::report() const {
  std::ostringstream s;
  s << "questions " << questions << ": " << passing << " pass every check, " << invariants_passing
    << " pass the invariants, " << expectations_passing << " pass their expectation\n";
  const auto by_kind = [&](const char* what, std::size_t total, const std::map<std::string, std::size_t>& problems,
                           const std::map<std::string, std::size_t>& qs) {
    s << what << ": " << total << " problems";
    for (const auto& [c, n] : problems) s << "; " << c << " " << n << " (" << qs.at(c) << " questions)";
    s << "\n";
  };
  by_kind("invariant violations", invariant_total(), invariant_problems, invariant_questions);
  by_kind("expectation failures", expectation_total(), expectation_problems, expectation_questions);
  return s.str();
}

}  // namespace evidence::test
