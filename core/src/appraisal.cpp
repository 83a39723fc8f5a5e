#include "evidence/appraisal.hpp"
#include "evidence/text.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace evidence {

int evidence_level_of(const Study& s) {
  const auto& pt = s.publication_types;
  // A trial known only from its registration, without posted results, is a plan, not evidence
  // yet; once merged with a publication or a curated record it is the published study.
  const bool registration_only = s.annotation.sources.size() == 1 && s.annotation.sources.front() == "ctgov";
  if (registration_only && std::find(pt.begin(), pt.end(), "Trial registration") != pt.end() &&
      std::find(pt.begin(), pt.end(), "Results posted") == pt.end())
    return 5;
  if (s.design == Design::guideline) return 1;
  // Systematic reviews of trials sit above single trials whether or not they pool.
  if (s.design == Design::systematic_review) return 1;
  if (s.design == Design::rct) return 2;
  if (s.design == Design::non_randomised_trial || s.design == Design::cohort) return 3;
  if (s.design == Design::case_control || s.design == Design::case_series) return 4;
  return 5;
}

int evidence_level(const Study& s) {
  return s.annotation.evidence_level > 0 ? s.annotation.evidence_level : evidence_level_of(s);
}

std::string quality_band_of(double score) {
  if (score < 0) return "unknown";
  if (score >= 7) return "high";
  if (score >= high_risk_quality_below) return "moderate";
  return "low";
}

bool at_high_risk_of_bias(double quality_score) {
  return quality_score >= 0 && quality_score < high_risk_quality_below;
}

bool reports_result(const OutcomeResult& o) { return o.direction != Direction::unclear || o.effect.has_value(); }

bool can_report(const Study& s) {
  if (s.retracted || s.design == Design::protocol) return false;
  return std::any_of(s.outcomes.begin(), s.outcomes.end(), reports_result);
}

bool results_unconfirmed(const Study& s) {
  if (s.draft) return true;
  const auto origin = s.annotation.origins.find("direction");
  return origin != s.annotation.origins.end() && origin->second == Origin::text;
}

std::string finding_key(std::string_view intervention, ComparatorKind kind, std::string_view outcome,
                        std::string_view time_point, const std::vector<std::string>& add_on) {
  const std::string_view comparator_kind = comparator_kind_name(kind);
  std::string key;
  key.reserve(intervention.size() + comparator_kind.size() + outcome.size() + time_point.size() + 3);
  key.append(intervention).append("|").append(comparator_kind);
  for (const auto& a : add_on) key.append("+").append(a);
  key.append("|").append(outcome).append("|").append(time_point);
  return key;
}

std::string finding_key_of(const OutcomeResult& o) {
  return finding_key(o.intervention.empty() ? std::string_view() : std::string_view(o.intervention.front()),
                     o.comparator_kind, o.domain, o.time_point);
}

std::string time_point_of_weeks(double weeks) {
  if (weeks <= 1) return "immediate";
  if (weeks <= 13) return "short";
  if (weeks < 52) return "intermediate";
  return "long";
}

std::string analysis_of(const Study& s, const OutcomeResult& o) {
  if (!o.analysis.empty()) return o.analysis;
  if (s.design == Design::cohort || s.design == Design::case_control || s.design == Design::case_series ||
      s.design == Design::non_randomised_trial)
    return "observational";
  if (s.design == Design::systematic_review || s.design == Design::meta_analysis) {
    // A review of cohort studies (and not of trials) is observational evidence.
    const std::string label = normalise(s.design_label);
    const bool observational =
        label.find("cohort") != std::string::npos || label.find("observational") != std::string::npos;
    const bool of_trials = label.find("rct") != std::string::npos || label.find("randomi") != std::string::npos;
    if (observational && !of_trials) return "observational";
  }
  return "randomised";
}

ResultPopulation population_of(const Study& s, const OutcomeResult& o) {
  if (!o.population) return {s.population.conditions, s.population.duration, {}};
  ResultPopulation p = *o.population;
  if (p.duration.empty()) p.duration = s.population.duration;
  return p;
}

double mid_0_100(std::string_view domain) {
  if (domain == "pain") return 15;
  if (domain == "function") return 10;
  return 0;
}

namespace {
void turn(double& y, double& lo, double& hi) {
  std::swap(lo, hi);
  y = -y, lo = -lo, hi = -hi;
}
bool is_ratio(const std::string& measure) { return measure == "RR" || measure == "OR" || measure == "HR"; }
}  // namespace

std::optional<OrientedEffect> orient(const Effect& e, const std::string& domain, const std::string& instrument,
                                     const Vocabulary& v, Direction direction) {
  if (!e.ci_low || !e.ci_high) return std::nullopt;
  OrientedEffect o;
  double y = e.value, lo = *e.ci_low, hi = *e.ci_high;
  o.measure = e.measure;
  if (is_ratio(e.measure)) {
    if (y <= 0 || lo <= 0 || hi <= 0) return std::nullopt;
    y = std::log(y);
    lo = std::log(lo);
    hi = std::log(hi);
    // For a harm (adverse events, recurrence) a ratio below 1 favours the intervention; for a
    // benefit it is the other way round. Records say which way is better; default: lower.
    if (e.better != "higher") turn(y, lo, hi);
    o.scale = "log";
  } else if (e.measure == "MD" || e.measure == "SMD" || e.measure == "RD") {
    bool flip = false;
    if (e.contrast == "improvement_difference")
      flip = false;
    else if (e.contrast == "comparator_minus_intervention")
      flip = e.better == "higher";
    else
      flip = e.better != "higher";  // intervention minus comparator, lower better (pain scores)
    if (flip) turn(y, lo, hi);
    if (e.measure == "MD") {
      double span = 0;
      if (e.scale_min && e.scale_max)
        span = *e.scale_max - *e.scale_min;
      else if (!instrument.empty())
        if (const Concept* c = v.find(instrument); c && c->mid) span = c->mid->scale_max - c->mid->scale_min;
      if (span > 0) {
        y *= 100 / span, lo *= 100 / span, hi *= 100 / span;
        o.scale = "0-100";
      } else {
        o.scale = "raw:" + domain + ":" + instrument;
      }
    } else {
      o.scale = e.measure;
    }
  } else {
    return std::nullopt;
  }
  if (lo > hi) std::swap(lo, hi);
  // Without a stated contrast the sign convention is unknown; the record's curated direction
  // says which way the result goes, so it decides the orientation.
  if (e.contrast.empty() && ((direction == Direction::favours_intervention && y < 0) ||
                             (direction == Direction::favours_comparator && y > 0)))
    turn(y, lo, hi);
  o.y = y, o.lo = lo, o.hi = hi;
  return o;
}

const char* design_label(Design d) {
  switch (d) {
    case Design::guideline: return "Guideline";
    case Design::systematic_review: return "Systematic review";
    case Design::meta_analysis: return "Meta-analysis";
    case Design::rct: return "Randomised trial";
    case Design::non_randomised_trial: return "Non-randomised trial";
    case Design::cohort: return "Cohort study";
    case Design::case_control: return "Case-control study";
    case Design::case_series: return "Case series";
    case Design::protocol: return "Protocol";
    case Design::narrative_review: return "Narrative review";
    case Design::other: return "Other";
  }
  return "Other";
}

const char* design_label(std::string_view design) { return design_label(parse_design(design).value_or(Design::other)); }

namespace {
struct ComparatorWords {
  ComparatorKind kind;
  const char* clinical;
  const char* plain;
};
constexpr ComparatorWords kComparatorWords[] = {
    {ComparatorKind::placebo_sham, "placebo or sham", "a fake (sham) treatment"},
    {ComparatorKind::usual_care, "usual care", "usual care"},
    {ComparatorKind::no_treatment, "no treatment or waiting list", "no treatment"},
    {ComparatorKind::active, "other active treatments", "other treatments"},
    {ComparatorKind::mixed, "mixed comparators", "other options"},
};
const ComparatorWords& comparator_words(ComparatorKind k) {
  for (const auto& w : kComparatorWords)
    if (w.kind == k) return w;
  return kComparatorWords[std::size(kComparatorWords) - 1];
}
}  // namespace

const char* comparator_clinical(ComparatorKind kind) { return comparator_words(kind).clinical; }
const char* comparator_plain(ComparatorKind kind) { return comparator_words(kind).plain; }

const char* direction_label(Direction d) {
  switch (d) {
    case Direction::favours_intervention: return "favours the treatment";
    case Direction::favours_comparator: return "favours the comparator";
    case Direction::no_difference: return "no difference";
    case Direction::conflicting: return "conflicting";
    case Direction::unclear: break;
  }
  return "unclear";
}

namespace {
// A certainty level's symbols, label and patient words, lowest level first.
struct CertaintyWords {
  const char* symbols;
  const char* label;
  const char* plain;
};
constexpr CertaintyWords kCertaintyWords[] = {
    {"⊕◯◯◯", "Very low", "We are very unsure"},
    {"⊕⊕◯◯", "Low", "We are not very confident"},
    {"⊕⊕⊕◯", "Moderate", "We are fairly confident"},
    {"⊕⊕⊕⊕", "High", "We are confident"},
};
const CertaintyWords& words_of(CertaintyLevel level) {
  const int i = std::clamp(static_cast<int>(level), 1, 4) - 1;
  return kCertaintyWords[i];
}
}  // namespace

const char* certainty_symbols(CertaintyLevel level) { return words_of(level).symbols; }
const char* certainty_label(CertaintyLevel level) { return words_of(level).label; }
const char* certainty_plain(CertaintyLevel level) { return words_of(level).plain; }

namespace {
// The domains a downgrade can name (docs/GRADING.md), with their words.
constexpr std::pair<std::string_view, const char*> kGradeDomains[] = {
    {"risk_of_bias", "Risk of bias"},         {"inconsistency", "Inconsistency"},
    {"indirectness", "Indirectness"},         {"imprecision", "Imprecision"},
    {"publication_bias", "Publication bias"}, {"source_rating", "Never above the source"},
};
// Each follow-up time point with its clinician label and patient words.
struct TimePointWords {
  std::string_view id;
  const char* label;
  const char* plain;
};
constexpr TimePointWords kTimePoints[] = {
    {"immediate", "immediate", "right after treatment"},
    {"short", "short term", "in the short term"},
    {"intermediate", "intermediate term", "in the medium term"},
    {"long", "long term", "in the long term"},
};
}  // namespace

std::string grade_domain_label(std::string_view domain) {
  for (const auto& [id, words] : kGradeDomains)
    if (id == domain) return words;
  return std::string(domain);
}

const char* time_point_label(std::string_view tp) {
  for (const auto& t : kTimePoints)
    if (t.id == tp) return t.label;
  return "";
}

const char* time_point_plain(std::string_view tp) {
  for (const auto& t : kTimePoints)
    if (t.id == tp) return t.plain;
  return "";
}

nlohmann::json label_tables() {
  using nlohmann::json;
  json designs = json::object(), directions = json::object(), certainty = json::object(), domains = json::object(),
       times = json::object(), kinds = json::object();
  for (const Design d : all_designs) designs[design_name(d)] = design_label(d);
  for (const Direction d : {Direction::favours_intervention, Direction::favours_comparator, Direction::no_difference,
                            Direction::conflicting, Direction::unclear})
    directions[direction_name(d)] = direction_label(d);
  for (const CertaintyLevel l :
       {CertaintyLevel::very_low, CertaintyLevel::low, CertaintyLevel::moderate, CertaintyLevel::high})
    certainty[certainty_level_name(l)] = {{"label", certainty_label(l)},
                                          {"plain", certainty_plain(l)},
                                          {"symbols", certainty_symbols(l)},
                                          {"rank", static_cast<int>(l)}};
  for (const auto& [id, words] : kGradeDomains) domains[std::string(id)] = words;
  for (const auto& t : kTimePoints) times[std::string(t.id)] = {{"label", t.label}, {"plain", t.plain}};
  for (const auto& w : kComparatorWords)
    kinds[comparator_kind_name(w.kind)] = {{"label", w.clinical}, {"plain", w.plain}};
  return {{"designs", designs},       {"directions", directions}, {"certainty", certainty},
          {"grade_domains", domains}, {"time_points", times},     {"comparator_kinds", kinds}};
}

}  // namespace evidence
