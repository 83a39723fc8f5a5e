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
  std::string record_id, label, design, direction, result_text, instrument;
  std::optional<Effect> effect;
  std::optional<Certainty> stated_certainty;
  std::int64_t participants = 0;
  std::optional<std::int64_t> n_studies;
  double quality = -1;
  bool text_extracted = false;
  bool used_in_estimate = false;
  bool indirect = false;  // its population or intervention only partly matches the question
};

struct Finding {
  std::string key;  // intervention|comparator_kind|outcome|time_point
  std::string intervention, intervention_label, intervention_plain;
  std::string comparator_kind, comparator_label, comparator_plain;
  std::string outcome, outcome_label, time_point;
  std::string condition_label, condition_plain;
  std::vector<StudyResult> results;
  std::vector<std::string> record_ids;
  int n_studies = 0;  // studies (trials) behind the finding, reviews counted by their trials
  std::int64_t n_participants = 0;
  std::string effect_source;  // "pooled", "review", "single", "vote_count"
  std::optional<MetaAnalysis> pooled;
  std::string effect_measure, effect_scale;  // of the estimate shown
  std::optional<double> effect, effect_ci_low,
      effect_ci_high;       // natural scale, positive favours intervention for MD/SMD
  std::string effect_text;  // "MD 15 points better on 0-100 (95% CI 12 to 18)"
  std::string effect_size;  // large, moderate, small, trivial, none, unknown
  std::string direction;    // favours_intervention, favours_comparator, no_difference, conflicting, unclear
  std::string certainty;    // high, moderate, low, very_low
  std::vector<Downgrade> downgrades;
  std::vector<std::string> rules;
  std::optional<Certainty> stated_certainty;  // as a review states it
  std::string stated_source;
  bool certainty_disagreement = false;
  std::string clinician_sentence, patient_sentence;
  bool thin = false;  // too little to say anything (no direction)

  nlohmann::json to_json() const;
};

struct EvidenceSummary {
  std::vector<Finding> findings;
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

// Certainty wording: "high" -> "High", plus GRADE symbols "⊕⊕⊕⊕".
std::string certainty_symbols(const std::string& level);

// All findings over all studies, key -> "direction; certainty", for change reports.
nlohmann::json findings_snapshot(const std::vector<Study>& studies, const Vocabulary& vocabulary);

// Effect size class of a standardised benefit (|benefit| / MID, or SMD, or log ratio).
std::string classify_effect(const std::string& measure, double benefit, double ci_low, double ci_high, double mid);

}  // namespace evidence
