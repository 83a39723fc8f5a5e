#pragma once
// The study model: one record, whatever its source (curated JSON, PubMed XML, ClinicalTrials.gov),
// in the shape of schema/study.schema.json plus the annotation provenance the indexer adds.
// to_json/from_json map it to that JSON shape; from_json throws nlohmann::json exceptions on a
// record that does not have the schema's shape, so validate first (record_validator.hpp).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evidence {

// Where an annotation came from, shown to users beside every annotated field.
enum class Origin { curated, source_metadata, text, estimated };
const char* origin_name(Origin o) noexcept;

// ---- Closed sets ------------------------------------------------------------------------------
// Each has one parser (the schema's word to the value; std::nullopt for any other word) and one
// name function (the value to that word), used by the JSON readers and writers, the stored
// record's codec and validation alike, so the words are spelled once. Neither throws.

// Which way a result points, in the schema's words: favours_intervention, favours_comparator,
// no_difference, conflicting, unclear. A graded finding uses the same set.
enum class Direction { favours_intervention, favours_comparator, no_difference, conflicting, unclear };
const char* direction_name(Direction d) noexcept;
std::optional<Direction> parse_direction(std::string_view word) noexcept;

// The GRADE certainty of a graded finding, lowest first, so levels compare and count
// (rank_of(high) - rank_of(low) is two downgrades). The schema's certainty_level adds
// "insufficient" and "not_rated", which a source may state but a finding never has; those parse
// to std::nullopt.
enum class CertaintyLevel { very_low = 1, low, moderate, high };
// "very_low", "low", "moderate", "high": the wire and stored word.
const char* certainty_level_name(CertaintyLevel level) noexcept;
// The same in words for sentences: "very low", "low", "moderate", "high".
const char* certainty_level_words(CertaintyLevel level) noexcept;
std::optional<CertaintyLevel> parse_certainty_level(std::string_view word) noexcept;
// 1 (very low) .. 4 (high).
constexpr int rank_of(CertaintyLevel level) noexcept { return static_cast<int>(level); }

// A study's design, in the schema's words (guideline, systematic_review, rct, ...), plus
// meta_analysis, which records never carry as their design but which is indexed and filterable
// for reviews that pool. `all_designs` lists them in the order the page shows them.
enum class Design {
  guideline,
  systematic_review,
  meta_analysis,
  rct,
  non_randomised_trial,
  cohort,
  case_control,
  case_series,
  protocol,
  narrative_review,
  other
};
inline constexpr Design all_designs[] = {
    Design::guideline, Design::systematic_review, Design::meta_analysis, Design::rct,      Design::non_randomised_trial,
    Design::cohort,    Design::case_control,      Design::case_series,   Design::protocol, Design::narrative_review,
    Design::other};
const char* design_name(Design d) noexcept;
std::optional<Design> parse_design(std::string_view word) noexcept;

// What a result's comparator was, in the schema's words: placebo_sham, usual_care, no_treatment,
// active, mixed (several kinds, or not known).
enum class ComparatorKind { placebo_sham, usual_care, no_treatment, active, mixed };
inline constexpr ComparatorKind all_comparator_kinds[] = {ComparatorKind::placebo_sham, ComparatorKind::usual_care,
                                                          ComparatorKind::no_treatment, ComparatorKind::active,
                                                          ComparatorKind::mixed};
const char* comparator_kind_name(ComparatorKind k) noexcept;
std::optional<ComparatorKind> parse_comparator_kind(std::string_view word) noexcept;

// In JSON a closed set is its word: without these nlohmann writes an enum as its number, and
// json == Direction::unclear would silently compare a number with a word.
inline void to_json(nlohmann::json& j, Direction d) { j = direction_name(d); }
inline void to_json(nlohmann::json& j, CertaintyLevel level) { j = certainty_level_name(level); }
inline void to_json(nlohmann::json& j, Design d) { j = design_name(d); }
inline void to_json(nlohmann::json& j, ComparatorKind k) { j = comparator_kind_name(k); }

struct Identifiers {
  std::string pmid, doi, nct, pmcid;
  std::vector<std::string> other;  // "ISRCTN:ISRCTN37113406", "NBK:NBK401577", "CDSR:CD003008"
  bool empty() const { return pmid.empty() && doi.empty() && nct.empty() && pmcid.empty() && other.empty(); }
};

struct AbstractSection {
  std::string label, text;
};

struct Arm {
  std::vector<std::string> concepts;
  std::string label;
  std::optional<ComparatorKind> kind;  // comparators only; absent: not yet classed (the annotator classes it)
};

struct Effect {
  std::string measure;  // MD, SMD, RR, OR, HR, RD, other
  double value = 0;
  std::optional<double> ci_low, ci_high, scale_min, scale_max;
  std::string better;         // "higher" or "lower" (which way of the scale is better)
  std::string contrast;       // intervention_minus_comparator, comparator_minus_intervention, improvement_difference
  std::string event;          // ratios: the event counted ("recovery", "an adverse event")
  std::optional<double> mid;  // the source's own minimal important difference, on the effect's scale
  std::string label;
};

struct Certainty {
  std::string system;  // GRADE, AHRQ, Cochrane, levels_of_evidence, guideline, author, none
  std::string level;   // high, moderate, low, very_low, insufficient, not_rated
  std::string statement;
  std::vector<std::string> downgrades;
};

// The population one result studied, when it is narrower than or differs from its record's.
struct ResultPopulation {
  std::vector<std::string> conditions;
  std::string duration;  // acute, subacute, chronic, mixed, unspecified; empty: the record's
  std::string label;
};

struct OutcomeResult {
  std::string domain, instrument, instrument_label, time_point = "unspecified", time_label;
  std::optional<ResultPopulation> population;  // absent: the record's population
  std::optional<double> follow_up_weeks;
  std::vector<std::string> intervention, comparator;
  ComparatorKind comparator_kind = ComparatorKind::mixed;
  std::vector<std::string> add_on;  // background treatment both arms received
  Direction direction = Direction::unclear;
  std::optional<Effect> effect;
  // For this comparison only (never a review's or network's total); absent when not given.
  std::optional<std::int64_t> n_studies, n_participants;
  std::string analysis;  // randomised, as_treated, per_protocol, observational, network; empty: from the design
  std::optional<Certainty> certainty;
  bool primary = false;
  std::string result_text;
};

struct RiskOfBiasDomain {
  std::string domain, judgement, support;
};

struct RiskOfBias {
  std::string tool, overall, source;
  std::vector<RiskOfBiasDomain> domains;
};

struct Pedro {
  int score = 0;
  std::vector<bool> items;
  std::string source;
};

struct Quality {
  std::optional<Pedro> pedro;
  std::optional<RiskOfBias> risk_of_bias;
  std::string certainty_statement, grading_system;
};

struct Population {
  std::string description;
  std::vector<std::string> conditions;
  std::string duration = "unspecified";
  std::optional<std::int64_t> n_randomised, n_trials, n_participants;
};

// A field a curator has not confirmed: its dotted path ("population.n_randomised",
// "outcomes.2.effect"), the candidate value as text, a note on where it came from, and for what
// was read from text the exact sentence (quote).
struct UnverifiedField {
  std::string field, candidate, note, quote;
};

struct Provenance {
  std::string reference_row;
  std::vector<std::string> sources;
  std::vector<UnverifiedField> unverified;
  bool secondary_source = false;
  std::string notes;
};

struct Summary {
  std::string clinician, plain;
};

// What the annotator inferred and how: field name -> origin, plus the basis of the quality estimate.
struct Annotation {
  std::map<std::string, Origin> origins;  // "design", "interventions", "conditions", "outcomes", ...
  std::string quality_basis;              // e.g. "PEDro 8/10 (curated)" or "estimated: RCT, n=200, blinded"
  double quality_score = -1;              // 0..10, -1 when unknown
  bool quality_estimated = false;
  int evidence_level = 0;               // 1 (guideline/SR of RCTs) .. 5 (other); 0 unknown
  std::vector<std::string> mesh_terms;  // MeSH headings as given by the source
  std::vector<std::string> keywords;
  std::vector<std::string> sources;  // "curated", "pubmed", "ctgov" (several after a merge)
  std::vector<std::string> files;    // input files the record was read from
  std::string status;                // CT.gov overall status, when known
};

struct Study {
  std::string id;
  Identifiers identifiers;
  std::string title;
  std::vector<std::string> authors;
  bool authors_complete = true;
  std::string journal, citation;
  int year = 0;
  std::string language;
  std::vector<std::string> publication_types;
  std::vector<AbstractSection> abstract;
  Design design = Design::other;
  bool meta_analysis = false;
  bool meta_analysis_stated = false;  // the record says so explicitly (kept on round trips)
  std::string design_label;
  Population population;
  std::vector<Arm> interventions, comparators;
  std::vector<OutcomeResult> outcomes;
  Quality quality;
  std::vector<std::string> included_record_ids;
  std::vector<std::string> same_trial_as;  // other reports of the same trial
  std::vector<std::string> supersedes;     // earlier versions of this review
  Summary summary;
  Provenance provenance;
  bool retracted = false;
  // Written by evidence-index --draft and not yet confirmed by a curator: listed, never graded.
  bool draft = false;
  Annotation annotation;  // not part of the curated schema; written by the indexer

  // The abstract's sections joined with their labels.
  std::string abstract_text() const;
  // Participants this study contributes: randomised, else participants, else 0.
  std::int64_t participants() const;
};

// JSON in the shape of schema/study.schema.json ("annotation" is added under that key when
// include_annotation is true; curated files never carry it).
nlohmann::json study_to_json(const Study& s, bool include_annotation = true);
Study study_from_json(const nlohmann::json& j);

nlohmann::json annotation_to_json(const Annotation& a);
Annotation annotation_from_json(const nlohmann::json& j);

}  // namespace evidence
