#pragma once
// Evidence synthesis at query time: grouping study results into findings (intervention x
// comparator kind x outcome x time point), random-effects meta-analysis, effect size against
// the minimal important difference, GRADE-style certainty with a reason for every downgrade,
// and the two sentences (clinician, patient). Pure computation over the study model; no Xapian.
// Nothing here throws for thin or odd data: a finding says what it could not do.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "evidence/appraisal.hpp"
#include "evidence/query.hpp"
#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

struct MetaAnalysis {
  std::string method = "DerSimonian-Laird random effects";
  int k = 0;
  double estimate = 0, se = 0, ci_low = 0, ci_high = 0;  // on the pooled scale (log for ratios)
  double q = 0, i2 = 0, tau2 = 0, fixed_estimate = 0;
};

// Random-effects meta-analysis (DerSimonian and Laird 1986) of estimates y with variances v.
// Needs at least two studies with positive variances.
std::optional<MetaAnalysis> dersimonian_laird(const std::vector<double>& y, const std::vector<double>& v);

struct Downgrade {
  std::string domain;  // risk_of_bias, inconsistency, indirectness, imprecision, publication_bias
  int levels = 1;
  std::string reason;
  std::string rule;  // rule id, documented in docs/GRADING.md
};

struct StudyResult {
  std::string record_id, label, result_text, instrument;
  Design design = Design::other;
  Direction direction = Direction::unclear;  // as this finding reads it (turned when reversed)
  std::string trial;  // the trial or review this result belongs to: reports of one trial share it
  std::optional<Effect> effect;
  std::optional<OrientedEffect> oriented;  // the effect on the finding's footing, when it has a CI
  std::optional<Certainty> stated_certainty;
  std::int64_t participants = 0;             // for this comparison; 0 when not known
  std::optional<std::int64_t> n_studies;     // for this comparison, when the source gives it
  std::string analysis;                      // randomised, as_treated, per_protocol, observational, network
  std::string population, population_label;  // the condition concept studied and its words
  std::string population_duration;           // acute, subacute, chronic or "" (mixed, unspecified)
  std::optional<double> follow_up_weeks;
  std::string time_label;
  double quality = -1;
  bool text_extracted = false;
  bool used_in_estimate = false;
  bool counted = false;   // adds to the finding's studies and participants
  bool reversed = false;  // stored as B vs A and read here as A vs B
  bool indirect = false;  // its population only partly matches the question
  bool review = false;    // a systematic review or meta-analysis
};

// The ceiling a source puts on the certainty of a finding (docs/GRADING.md, "Never above the source").
struct SourceCeiling {
  CertaintyLevel level = CertaintyLevel::moderate;
  std::string record_id;  // the source that sets it
  std::string rule;       // source_grade, source_other_system, unrated_source, ...
  std::string reason;
};

struct Finding {
  std::string key;  // intervention|comparator|outcome|time point|population
  std::string intervention, intervention_label, intervention_plain;
  ComparatorKind comparator_kind = ComparatorKind::mixed;
  std::string comparator_label, comparator_plain;
  std::vector<std::string> comparator_concepts, add_on;
  std::string add_on_label, add_on_plain;  // "spinal manipulation" when both arms had it
  std::string outcome, outcome_label, time_point, time_label;
  std::string population, population_label, population_plain;  // the population the evidence studied
  std::string population_note;  // why it may not be the question's, when it is not exactly
  bool indirect = false;        // the population studied is broader than or beside the question's
  std::vector<StudyResult> results;
  std::vector<std::string> record_ids;
  int n_studies = 0;  // distinct trials behind the finding (a review by its trials for the comparison)
  std::int64_t n_participants = 0;
  bool counts_complete = true;  // false when a source gives no count for this comparison
  int uncounted_reviews = 0;    // reviews that give no number of trials for this comparison
  std::string effect_source;    // "pooled", "review", "single", "vote_count"
  std::optional<MetaAnalysis> pooled;
  std::string effect_measure, effect_scale;  // of the estimate shown
  std::optional<double> effect, effect_ci_low,
      effect_ci_high;         // natural scale, positive favours intervention for MD/SMD
  std::optional<double> mid;  // on the estimate's scale, when it is known
  // The line an estimate is judged against on its scale (the MID, SMD 0.5 or ratio 1.25: the
  // "moderate" threshold), its words, and where the estimate and its CI lie against it.
  std::optional<double> threshold;
  std::string threshold_label, threshold_verdict;
  std::string effect_text;   // "MD 15 points better on 0-100 (95% CI 12 to 18)"
  std::string effect_plain;  // "about 14 points less pain on a 0 to 100 scale"
  std::string effect_size;   // large, moderate, small, trivial, none, unknown
  Direction direction = Direction::unclear;
  CertaintyLevel certainty = CertaintyLevel::very_low;  // set by grading
  std::vector<Downgrade> downgrades;
  std::vector<std::string> rules;
  std::optional<SourceCeiling> ceiling;
  std::optional<Certainty> stated_certainty;  // as a source states it
  std::string stated_source;
  bool certainty_disagreement = false;
  std::string clinician_sentence, patient_sentence;
  bool thin = false;          // too little to say anything (no direction)
  bool disagreement = false;  // counted studies outside the estimate, or against the majority, point the other way
  bool headline = true;       // among the findings shown first; the rest are behind "more"
  bool harms = false;         // adverse events, withdrawals or recurrence
  int relevance = 0;          // to the question: its comparator and outcome first, direct before indirect

  nlohmann::json to_json() const;
};

// The answer for one treatment asked about, first: built from its headline findings.
struct BottomLine {
  std::string intervention, intervention_label;
  std::string clinician, patient;
  std::vector<std::string> finding_keys, record_ids;
  nlohmann::json to_json() const;
};

// A record found for the question whose results were read automatically from PubMed or
// ClinicalTrials.gov text: listed, never graded.
struct UnappraisedStudy {
  std::string record_id, label, title;
};

struct EvidenceSummary {
  std::vector<BottomLine> bottom_lines;
  std::vector<Finding> findings;  // headline findings first
  std::vector<UnappraisedStudy> unappraised;
  std::vector<std::string> messages;  // "No trials in the knowledge base compare X with Y."
  nlohmann::json to_json() const;
};

// The graded findings that answer a question, over the given studies (usually the top matches
// of a search). Each finding groups the results of one intervention x comparator kind x outcome
// x time point, carries its estimate (a review's, pooled, single or a vote count), its
// certainty with the rule and reason of every downgrade, the record ids behind it, and a
// clinician and a patient sentence. Without a treatment in the question, or without findings,
// `messages` says why. Pure computation: never throws for thin or odd data.
//
//   const EvidenceSummary s = synthesise(studies, parse_question("yoga for chronic LBP", v), v);
EvidenceSummary synthesise(const std::vector<Study>& studies, const Question& question, const Vocabulary& vocabulary);

// All findings over all studies, for change reports: key -> {"conclusion": "direction; certainty;
// effect size" (what a change is judged by), "clinician": the clinician sentence (what a change
// is shown with)}.
nlohmann::json findings_snapshot(const std::vector<Study>& studies, const Vocabulary& vocabulary);
// The same over records held elsewhere (the indexer's batch), none null: no copy of them is made.
nlohmann::json findings_snapshot(const std::vector<const Study*>& studies, const Vocabulary& vocabulary);

// Effect size class of a standardised benefit (|benefit| / MID, or SMD, or log ratio).
std::string classify_effect(const std::string& measure, double benefit, double ci_low, double ci_high, double mid);

}  // namespace evidence
