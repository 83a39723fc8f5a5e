#pragma once
// The back-pain vocabulary (schema/vocabulary.json): concepts with terms, abbreviations, spelling
// variants and parents. Annotation and query understanding both match text against it.
// load() throws evidence::Error (io_error, invalid_argument) when the file cannot be read or has
// the wrong shape; consistency problems (dangling parents, cycles, shared terms) are returned by check().
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "evidence/study.hpp"
#include "evidence/text.hpp"
#include <vector>

namespace evidence {

struct MeshRef {
  std::string ui, heading;
};

struct MinimalImportantDifference {
  double value = 0, scale_min = 0, scale_max = 0;
  std::string source;
};

// An everyday word or phrase for a concept ("needles": acupuncture) and where it comes from:
// "project" (the project's own choice) or the consumer health page that uses it.
struct LayTerm {
  std::string term, source;
};

struct Alternative {
  std::string concept_id, source;
};

struct Concept {
  std::string id, kind, preferred, plain;
  std::vector<std::string> synonyms, abbreviations, variants, parents;
  std::vector<LayTerm> lay;  // everyday words for questions only, never for annotating records
  // Treatments usually offered instead of this one (bed rest: advice to stay active), each with
  // its source; the search ranks their records as half a match (docs/RANKING.md).
  std::vector<Alternative> alternatives;
  std::vector<MeshRef> mesh;
  std::optional<MinimalImportantDifference> mid;
};

// One occurrence of a concept in a text, by token positions [begin, end).
struct ConceptMatch {
  std::string concept_id;
  std::size_t begin = 0, end = 0;
  std::string matched;  // the words as written
};

class Vocabulary {
 public:
  static Vocabulary load(const std::filesystem::path& file);
  static Vocabulary from_json(const nlohmann::json& j);

  // Problems that make the vocabulary unusable or ambiguous, one message each; empty when consistent.
  std::vector<std::string> check() const;

  const std::vector<Concept>& concepts() const { return concepts_; }
  const Concept* find(std::string_view id) const;
  bool contains(std::string_view id) const { return find(id) != nullptr; }
  const std::string& version() const { return version_; }

  // The concept and everything below it (children, grandchildren, ...).
  std::vector<std::string> descendants(std::string_view id) const;
  // The concept and everything above it.
  std::vector<std::string> ancestors(std::string_view id) const;
  bool is_a(std::string_view id, std::string_view ancestor) const;

  // The comparator kind a concept stands for: placebo_sham, usual_care, no_treatment (also
  // minimal intervention), or active (any treatment). For several concepts: their common kind,
  // mixed when they differ or the list is empty.
  ComparatorKind comparator_kind(std::string_view id) const;
  ComparatorKind comparator_kind(const std::vector<std::string>& ids) const;

  // Longest-match annotation over the vocabulary's terms. Abbreviations match case-sensitively
  // in running text ("TENS", not "tens of patients") unless case_insensitive_abbreviations is set,
  // as for typed queries.
  std::vector<ConceptMatch> match(std::string_view text, bool case_insensitive_abbreviations = false) const;
  // `lay` also matches the concepts' lay terms (questions only; records are annotated without).
  std::vector<ConceptMatch> match_tokens(const std::vector<Token>& tokens, bool case_insensitive_abbreviations,
                                         bool lay = false) const;

  // The word of the vocabulary's terms a misspelt word stands for ("pregnacy" -> "pregnancy"):
  // the folded word itself when a term uses it; else the one word within one edit (two from nine
  // letters on; a swap of neighbours is one edit), when exactly one is that close; else "".
  // Words shorter than five letters are never corrected.
  std::string closest_word(std::string_view folded) const;
  // Whether a folded word is a word of some term (never of a lay term only).
  bool has_term_word(std::string_view folded) const;

  // Every written form of a concept, normalised (for synonyms and spelling data).
  std::vector<std::string> terms(std::string_view id) const;

  // Concepts whose terms start with `prefix` (normalised), best first, for autocomplete.
  std::vector<const Concept*> complete(std::string_view prefix, std::size_t limit) const;

  // Concept whose name or term is exactly `text` (normalised), or nullptr.
  const Concept* lookup(std::string_view text) const;

 private:
  void build_indexes();
  std::string version_;
  std::vector<Concept> concepts_;
  std::unordered_map<std::string, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_term_;    // folded words joined by ' '
  std::unordered_map<std::string, std::size_t> by_abbrev_;  // as written
  std::unordered_map<std::string, std::size_t> by_abbrev_lower_;
  std::unordered_map<std::string, std::vector<std::size_t>> children_;
  std::unordered_map<std::string, std::vector<std::string>> ancestors_;  // closure, self included
  std::unordered_set<std::string> term_prefixes_;
  std::unordered_set<std::string> term_words_;                // every single word of a term, for closest_word
  std::unordered_map<std::string, std::size_t> by_lay_term_;  // lay terms, folded
  std::unordered_set<std::string> lay_prefixes_;              // every term and each
                                                              // of its leading word sequences
};

// Folded key of a multi-word term, as used by the matcher.
std::string term_key(std::string_view term);

// Words after which a named treatment is the comparison, not the treatment asked about ("TENS
// versus sham", "compared with exercise"); `folded` is a token's folded form (text.hpp).
bool is_versus_word(std::string_view folded);
// The duration a condition concept implies: "chronic", "acute", "subacute" for the low back pain
// concepts of that duration, "" for any other concept.
std::string_view duration_of_condition(std::string_view concept_id);

}  // namespace evidence
