#pragma once
// The steps of synthesise(), one file each (docs/DESIGN.md):
//   findings.cpp   select the results that answer the question and group them into findings
//   estimate.cpp   the estimate of each finding (a review's, our pooling, a single one, a vote
//                  count), what is counted, the direction and the size of the effect
//   grading.cpp    GRADE-style certainty as a table of rules
//   wording.cpp    the clinician and patient sentences
//   summary.cpp    synthesise(): the steps in order, the order of findings, messages, JSON
//   bottom_line.cpp  the answer first for each treatment asked about
#include <map>
#include <set>
#include <string>
#include <vector>

#include "evidence/synthesis.hpp"

namespace evidence::synthesis {

using StudiesById = std::map<std::string, const Study*>;

// What synthesis knows about the records beside their results: which reports share a trial, and
// which reviews are replaced by an update among the studies.
struct Records {
  StudiesById by_id;
  std::map<std::string, std::string> trial_of;  // record id -> the trial's id (smallest report id)
  std::map<std::string, std::string> superseded_by;

  explicit Records(const std::vector<const Study*>& studies);
  const Study& at(const std::string& id) const { return *by_id.at(id); }
};

struct Groups {
  std::map<std::string, Finding> findings;  // by key
  std::vector<UnappraisedStudy> unappraised;
};

// The estimate in natural units, or null (estimate.cpp).
nlohmann::json natural_units(const Finding& f);

// Adverse events: shown beside the benefits of a treatment.
bool is_harm_domain(const std::string& domain);
// The outcome domains the question names, with their narrower domains.
std::set<std::string> asked_outcomes(const Question& question, const Vocabulary& vocabulary);

// Results of the studies that answer the question, grouped by finding key (intervention|comparator
// kind and add-on|outcome|time point|population group), each finding's labels filled in and
// labelled with the population its results studied. Results read automatically from text are
// listed apart, never graded.
Groups group_results(const std::vector<const Study*>& studies, const Question& question, const Vocabulary& vocabulary);

// Drops the results of superseded reviews, marks each result's trial, chooses the finding's
// estimate (a review's, our pooling of one estimate per trial, a single one, a vote count) and
// counts each trial once, a review by its trials for the comparison.
void choose_estimate(Finding& finding, const Records& records, const Vocabulary& vocabulary);
// Direction and effect size from the estimate, or from the counted results' directions.
void set_direction(Finding& finding);
// Certainty: the starting level, the downgrades of the rule table, and never above the source.
void grade(Finding& finding);
// The two sentences of a finding.
void write_sentences(Finding& finding);
// The clinician sentence, ending with the certainty and, when `counts`, the studies and participants.
std::string clinician_statement(const Finding& finding, bool counts);
// The answer first, per treatment asked about, from its headline findings.
std::vector<BottomLine> bottom_lines(const std::vector<Finding>& findings, const Question& question,
                                     const Vocabulary& vocabulary);

// Number with at most two decimals, "-0" written as "0".
std::string fmt(double x);
// "high" 4, "moderate" 3, "low" 2, "very_low" 1, anything else 0.
int level_rank(const std::string& level);
std::string capitalise(std::string s);

}  // namespace evidence::synthesis
