#pragma once
// Drafts of curated records for curators (issue 18): the numbers an abstract states, each with
// the exact sentence it came from, and a curated record (schema/study.schema.json) built from an
// indexed record with every field marked unverified (docs/CURATING.md).
//
// Nothing here invents a number: an effect is taken only when the text gives its value and both
// bounds of a 95% confidence interval that contains it; what cannot be read stays absent.
// Pure functions over the study model; nothing throws for odd text (a sentence that cannot be
// read yields nothing).
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/record_validator.hpp"
#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

// The sentences of a text, each an exact substring of it (so it can be quoted): split after
// '.', '?' or '!' followed by white space and a capital, a digit or a bracket, except after
// abbreviations such as "vs." and "e.g.".
std::vector<std::string_view> split_sentences(std::string_view text);

// A between-group effect with its 95% CI as a sentence states it.
struct ExtractedEffect {
  std::string measure;  // MD, SMD, RR, OR, HR, RD, or "other" (then `kind` says what)
  std::string kind;     // the words that named it: "mean difference", "NNT", "interaction", ...
  double value = 0, ci_low = 0, ci_high = 0;
  std::string as_written;  // the value and interval as the text wrote them
  std::string context;     // the words before the value back to the previous one: outcome, arm
  std::string quote;       // the whole sentence, exactly
  std::string section;     // abstract section label ("RESULTS"), "" when unlabelled
};

// Effects with 95% CIs in one sentence. A value counts only when the words before it name a
// between-group measure (a difference, ratio, effect size, NNT, interaction), directly or as the
// next item of a list that began with one; group means and proportions with their own CIs are
// not effects. Intervals at other levels and Bayesian credible intervals are left out.
std::vector<ExtractedEffect> effects_in_sentence(std::string_view sentence);

// A follow-up time ("at 12 weeks", "6-month follow-up", "after three months"), in weeks from
// randomisation: months * 52 / 12, years * 52, days / 7.
struct ExtractedFollowUp {
  double weeks = 0;
  std::string label;  // as written: "12 months"
  std::string quote, section;
};
// The time points a sentence names, in order.
std::vector<ExtractedFollowUp> follow_ups_in_sentence(std::string_view sentence);

struct ExtractedCount {
  std::int64_t n = 0;
  std::string quote, section;
};

// Everything read from an abstract, in the order of its sentences.
struct AbstractNumbers {
  std::vector<ExtractedEffect> effects;
  std::optional<ExtractedCount> participants;  // the first sentence that states how many took part
  std::vector<ExtractedFollowUp> follow_ups;   // each distinct time point once, at its first mention
};
AbstractNumbers extract_numbers(const std::vector<AbstractSection>& abstract);

// The curated draft of an indexed record: its bibliographic fields, the annotated PICO and
// design, the abstract's effects as outcomes (each with its sentence as result_text), the number
// of participants; `draft` set and every field listed in provenance.unverified with where it
// came from and, for what was read from text, the sentence. `note` is added to provenance.notes
// (e.g. the index revision it was drafted from). Check it with RecordValidator before writing.
Study make_draft(const Study& indexed, const Vocabulary& vocabulary, const std::string& note = "");

// evidence-index --draft: the draft of the record an identifier names in the index at `db`.
struct DraftRun {
  std::string record_id;  // the indexed record drafted
  Study draft;
  nlohmann::json record;                // the draft in the curated schema's shape
  std::vector<ValidationIssue> issues;  // schema and vocabulary problems (empty for a usable draft)
  std::size_t effects = 0, follow_ups = 0;
  bool participants = false;
};
// `id` is a PMID ("12345678"), an NCT id, a DOI, a PMCID or an index record id. Defaults for the
// schema and vocabulary are those of the source tree. Throws Error(not_found) when no record has
// the identifier, and the IndexReader's errors (index_unavailable, ...).
DraftRun draft_from_index(const std::filesystem::path& db, const std::string& id,
                          const std::filesystem::path& schema_file = {},
                          const std::filesystem::path& vocabulary_file = {});

}  // namespace evidence
