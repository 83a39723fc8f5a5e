#pragma once
// Validates one curated study record (JSON) against schema/study.schema.json, the vocabulary
// (every concept id must exist and be of the right kind) and sanity rules the schema cannot
// express (a confidence interval that contains its estimate, a plausible year, ...).
// Problems in a record are data errors: they are returned as issues, never thrown. The
// constructor throws evidence::Error(invalid_argument) when the schema itself is unusable.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/vocabulary.hpp"

namespace evidence {

struct ValidationIssue {
  std::string pointer;  // JSON pointer of the offending field, "" for the whole record
  std::string message;  // what was expected
};

class RecordValidator {
 public:
  RecordValidator(const nlohmann::json& schema, const Vocabulary& vocabulary);
  ~RecordValidator();
  RecordValidator(RecordValidator&&) noexcept;
  RecordValidator& operator=(RecordValidator&&) noexcept;

  static RecordValidator from_file(const std::filesystem::path& schema_file, const Vocabulary& vocabulary);

  // All issues, schema issues first. Empty when the record is valid.
  std::vector<ValidationIssue> validate(const nlohmann::json& record) const;

  // Only the vocabulary and sanity rules (used for records built from PubMed or CT.gov).
  std::vector<ValidationIssue> check_concepts_and_sanity(const nlohmann::json& record) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "[a] [0] [b]"-style valijson context turned into a JSON pointer ("/a/0/b").
std::string context_to_pointer(const std::vector<std::string>& context);

}  // namespace evidence
