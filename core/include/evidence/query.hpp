#pragma once
// Understanding a typed question: free text mapped onto the vocabulary as P (conditions and
// duration), I (interventions), C (comparators), O (outcomes) and designs, plus expert field
// syntax (intervention:tens design:rct year:2010..2024 quality:6..), quoted phrases and
// AND/OR/NOT. Pure (no Xapian); parse_question() throws Error(invalid_argument) for syntax it
// cannot accept (e.g. year:abc) so the HTTP layer can answer 400.
#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "evidence/vocabulary.hpp"

namespace evidence {

struct RecognisedConcept {
  std::string id, kind, matched, preferred, plain;
};

struct Question {
  std::string text;                         // as typed
  std::vector<RecognisedConcept> concepts;  // in order of appearance
  std::vector<std::string> interventions, conditions, outcomes, comparators, designs;
  std::vector<ComparatorKind> comparator_kinds;
  std::string duration;   // acute, subacute, chronic or ""
  std::string free_text;  // words left over, with phrases and operators kept
  // Identifiers typed or pasted (PMID, DOI, NCT, PMCID, PubMed / doi.org / ClinicalTrials.gov /
  // PMC URLs): kind ("pmid", "doi", "nct", "pmcid") and value as indexed (lower case but PMIDs).
  std::vector<std::pair<std::string, std::string>> identifiers;
  // Misspelt words read as a vocabulary word ("pregnacy" -> "pregnancy"): as typed, as read.
  std::vector<std::pair<std::string, std::string>> corrections;
  // Field filters from the expert syntax (ANDed with the rest).
  std::vector<std::string> filter_interventions, filter_conditions, filter_outcomes, filter_designs;
  std::optional<int> year_min, year_max;
  std::optional<double> quality_min, quality_max;
  bool benefit_requested = false;  // "efficacy", "does it work": pain and function
  bool harms_requested = false;    // "safe", "side effects": adverse events
  // "A or B": records of either treatment answer the question. Otherwise several treatments
  // ("A and B", "A plus B") ask for records of all of them, or of any when none has all.
  bool either_treatment = false;

  bool empty() const;
  nlohmann::json to_json() const;
};

// The treatments a question compares with ("TENS vs exercise": exercise_therapy), as opposed to
// comparator kinds such as sham or usual care.
std::vector<std::string> treatment_comparators(const Question& question, const Vocabulary& vocabulary);
// The usual alternatives (Concept::alternatives) of the one treatment a question asks about, when
// it names no other treatment and no treatment to compare with ("should I stay in bed": advice to
// stay active); their records answer it less directly. Empty otherwise.
std::vector<std::string> asked_alternatives(const Question& question, const Vocabulary& vocabulary);

// Words that carry no meaning in a clinical question ("does", "my", "for", ...).
bool is_question_stopword(const std::string& folded);

// A question as concepts: treatments asked about, comparators ("vs sham", "compared with X"),
// population and duration, outcomes, designs, expert field terms (intervention:tens
// year:2010..2024 quality:6..), quoted phrases, and the free text left over (with AND/OR/NOT).
// Throws Error(invalid_argument) for text that is not UTF-8 or a field term with an unknown
// concept, design or an invalid range; never for ordinary words.
//
//   parse_question("TENS vs sham for chronic LBP", v).comparator_kinds == {"placebo_sham"}
//
// `known_word` (optional) says whether a lower-case word occurs in the searched records: a word
// that is neither a vocabulary word nor known there, of five letters or more, is read as the
// vocabulary word one or two edits away (Vocabulary::closest_word). Without it nothing is
// corrected.
Question parse_question(const std::string& text, const Vocabulary& vocabulary,
                        const std::function<bool(const std::string&)>& known_word = {});

}  // namespace evidence
