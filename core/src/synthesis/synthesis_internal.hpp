#pragma once
// The steps of synthesise(), one file each (docs/DESIGN.md):
//   findings.cpp   select the results that answer the question and group them into findings
//   estimate.cpp   the estimate of each finding (a review's, our pooling, a single one, a vote
//                  count), what is counted, the direction and the size of the effect
//   grading.cpp    GRADE-style certainty as a table of rules
//   wording.cpp    the clinician and patient sentences
//   summary.cpp    synthesise(): the steps in order, the order of findings, messages, JSON
#include <map>
#include <set>
#include <string>
#include <vector>

#include "evidence/synthesis.hpp"

namespace evidence::synthesis {

using StudiesById = std::map<std::string, const Study*>;

// Results of the studies that answer the question, grouped by finding key
// (intervention|comparator kind|outcome|time point), each finding's labels filled in. A result
// whose population or intervention only partly matches the question is marked indirect.
std::map<std::string, Finding> group_results(const std::vector<Study>& studies, const Question& question,
                                             const Vocabulary& vocabulary);

// Chooses the finding's estimate and returns the ids of the records it counts (a review's own
// trials are not counted again); adds the counts of studies and participants and the record ids.
std::set<std::string> choose_estimate(Finding& finding, const StudiesById& studies, const Vocabulary& vocabulary);
// Direction and effect size from the estimate, or from the counted results' directions.
void set_direction(Finding& finding, const std::set<std::string>& counted);
// Certainty: the starting level, the downgrades of the rule table, the ceiling of a review's
// own GRADE rating, and the certainty a source states beside ours.
void grade(Finding& finding, const std::set<std::string>& counted, const StudiesById& studies);
// The two sentences of a finding.
void write_sentences(Finding& finding);

// Number with at most two decimals, "-0" written as "0".
std::string fmt(double x);
// "high" 4, "moderate" 3, "low" 2, "very_low" 1, anything else 0.
int level_rank(const std::string& level);
std::string capitalise(std::string s);

}  // namespace evidence::synthesis
