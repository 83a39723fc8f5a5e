#pragma once
// Appraisal: the domain rules that say what a record's evidence is worth, each defined once and
// used by the indexer, the index, search and synthesis alike. Pure functions over the study
// model; nothing here sees Xapian, and nothing throws.
//
//   evidence_level(study)        1 (guideline, systematic review) .. 5 (other; registration only)
//   quality_band_of(score)       "high" (>= 7/10), "moderate" (4-6), "low" (< 4), "unknown"
//   at_high_risk_of_bias(score)  the quality below which a record counts as at high risk of bias
//   reports_result(outcome)      an outcome with a direction or an effect
//   can_report(study)            a record a graded summary can use
//   results_unconfirmed(study)   a draft, or results read from text: listed, never graded
//   finding_key(...)             "intervention|comparator kind|outcome|time point"
//   time_point_of_weeks(weeks)   the time bucket of a follow-up
//   analysis_of, population_of   a result's own analysis and population, else its record's
//   mid_0_100(domain)            the minimal important difference on a 0-100 scale
//   orient(effect, ...)          an effect turned so that positive favours the intervention
//   design_label, direction_label, certainty_label, ... and label_tables(): every id's words
//
// Example: a review of RCTs with PEDro-like quality 8 is evidence level 1, quality band "high".
#include <optional>
#include <string>
#include <string_view>

#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

// ---- Records ------------------------------------------------------------------------------

// Evidence level from the design alone: 1 guideline or systematic review (whether or not it
// pools), 2 RCT, 3 non-randomised trial or cohort, 4 case-control or case series, 5 anything else
// and a trial known only from its registration without posted results.
int evidence_level_of(const Study& study);
// The annotated evidence level when the indexer set one, else evidence_level_of(study).
int evidence_level(const Study& study);

// Quality score (0-10) to its band: "high" (>= 7), "moderate" (4 to < 7), "low" (< 4), and
// "unknown" for a negative (unrated) score.
std::string quality_band_of(double score);
// Quality below which a record is taken to be at high risk of bias (GRADE's risk-of-bias domain).
inline constexpr double high_risk_quality_below = 4.0;
// True for a rated record (score >= 0) below high_risk_quality_below.
bool at_high_risk_of_bias(double quality_score);

// An outcome that reports a result: a direction other than "unclear", or an effect estimate.
bool reports_result(const OutcomeResult& outcome);
// Whether a graded summary can use a record at all: some outcome reports a result, and the
// record is neither retracted nor a protocol. The others never change a summary, so callers may
// leave them out.
bool can_report(const Study& study);
// Whether a record's results are unconfirmed: a curator's draft (`draft`, written by
// evidence-index --draft) or results read automatically from an abstract or a registry. A graded
// summary lists such a record beside its findings and never grades its results.
bool results_unconfirmed(const Study& study);

// ---- Findings ------------------------------------------------------------------------------

// The key of a graded finding: "intervention|comparator kind|outcome|time point", the kind
// followed by "+<id>" for each background treatment both arms had (add_on).
std::string finding_key(std::string_view intervention, ComparatorKind comparator_kind, std::string_view outcome,
                        std::string_view time_point, const std::vector<std::string>& add_on = {});
// The key of the index-wide finding an outcome result belongs to (its first intervention names it).
std::string finding_key_of(const OutcomeResult& outcome);

// The time point of a follow-up in weeks, by the one rule of docs/GRADING.md: up to 1 week
// "immediate", up to 13 weeks (3 months) "short", under 52 weeks "intermediate", else "long".
// So "3 months" and "12 weeks" land together.
std::string time_point_of_weeks(double weeks);

// How a result was estimated: its own `analysis`, else "observational" for cohort designs and
// reviews of them, else "randomised".
std::string analysis_of(const Study& study, const OutcomeResult& outcome);

// The population a result studied: its own, else its record's (duration filled from the record
// when the result gives none).
ResultPopulation population_of(const Study& study, const OutcomeResult& outcome);

// Minimal important difference on a 0-100 scale: pain 15, function 10 (docs/GRADING.md); 0 when
// none is set for the domain.
double mid_0_100(std::string_view domain);

// An effect on a common footing: positive favours the intervention; a mean difference on 0-100
// when the scale is known; ratios as natural logs.
struct OrientedEffect {
  double y = 0, lo = 0, hi = 0;
  std::string measure;  // as given: MD, SMD, RR, OR, HR, RD
  std::string scale;    // "0-100", "log", "SMD", "RD", or "raw:<domain>:<instrument>"
};
// Orients an effect with its 95% CI. The instrument's scale from the vocabulary is used when the
// effect states none; `direction` (the curated direction of the result) decides the sign when
// the effect states no contrast. std::nullopt without a CI or for an unknown measure.
std::optional<OrientedEffect> orient(const Effect& effect, const std::string& domain, const std::string& instrument,
                                     const Vocabulary& vocabulary, Direction direction = Direction::unclear);

// ---- Labels --------------------------------------------------------------------------------

// "Randomised trial", "Systematic review", ...; the word overload is for facet values read from
// the index ("Other" for a word outside the set).
const char* design_label(Design design);
const char* design_label(std::string_view design);
// A comparator kind in clinicians' words ("placebo or sham") and in patients' ("a fake (sham)
// treatment"); "mixed comparators" / "other options" for mixed.
const char* comparator_clinical(ComparatorKind kind);
const char* comparator_plain(ComparatorKind kind);
// A direction in clinicians' words: "favours the treatment", "no difference", ...
const char* direction_label(Direction direction);
// GRADE symbols of a certainty level: "⊕⊕⊕⊕" for high .. "⊕◯◯◯" for very low.
const char* certainty_symbols(CertaintyLevel level);
// A certainty level as a word ("Very low") and as patients are told it ("We are very unsure").
const char* certainty_label(CertaintyLevel level);
const char* certainty_plain(CertaintyLevel level);
// The GRADE domain of a downgrade ("risk_of_bias" -> "Risk of bias"); the id itself when unknown.
std::string grade_domain_label(std::string_view domain);
// A time point for clinicians ("short term") and for patients ("in the short term"); "" when unknown.
const char* time_point_label(std::string_view time_point);
const char* time_point_plain(std::string_view time_point);

// Every label table above as JSON, id -> words, for the page (which defines none of its own):
// {"designs", "directions", "certainty": {level: {label, plain, symbols, rank}}, "grade_domains",
//  "time_points": {id: {label, plain}}, "comparator_kinds": {id: {label, plain}}}.
nlohmann::json label_tables();

}  // namespace evidence
