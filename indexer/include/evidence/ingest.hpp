#pragma once
// Reading study records from their sources into the study model.
// Readers never throw for bad data: each problem becomes a RecordProblem naming the file, the
// record and the field, and the reader goes on with the next record. read_input_file() throws
// evidence::Error(io_error) when a file cannot be read at all.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/record_validator.hpp"
#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

enum class InputFormat { curated_json, pubmed_xml, ctgov_json, unknown };
const char* format_name(InputFormat f) noexcept;

struct RecordProblem {
  std::string file;
  std::string record;  // "PMID 12345", "NCT01234567", "LBP001", "record 3", "line 7", or "" for the whole file
  std::string field;   // JSON pointer or element path, "" when the whole record is unreadable
  std::string message;
  std::string to_string() const;
};

struct ReadResult {
  InputFormat format = InputFormat::unknown;
  std::vector<Study> studies;
  std::vector<std::string> deleted_pmids;  // PubMed DeleteCitation
  std::vector<RecordProblem> problems;
};

// Reads a file, transparently decompressing gzip (detected by its magic bytes, not its name).
std::string read_input_file(const std::filesystem::path& file);

// Detects the format from the content, not from the file name.
InputFormat detect_format(std::string_view content);

ReadResult read_pubmed_xml(std::string_view content, const std::string& file);
ReadResult read_ctgov_json(std::string_view content, const std::string& file);
// One curated record, an array of records, or JSON Lines; each validated against the schema
// and the vocabulary.
ReadResult read_curated_json(std::string_view content, const std::string& file, const RecordValidator& validator);

// Detects the format and calls the matching reader.
ReadResult read_records(std::string_view content, const std::string& file, const RecordValidator& validator);

// Annotates a study with vocabulary concepts, design, duration, size, an evidence level and a
// quality estimate, recording the origin of each annotation. Curated fields are kept as they are.
class Annotator {
 public:
  explicit Annotator(const Vocabulary& vocabulary) : vocabulary_(vocabulary) {}
  void annotate(Study& study) const;

 private:
  const Vocabulary& vocabulary_;
};

}  // namespace evidence
