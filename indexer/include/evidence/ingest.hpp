#pragma once
// Reading study records from their sources into the study model.
// Readers never throw for bad data: each problem becomes a RecordProblem naming the file, the
// record and the field, and the reader goes on with the next record. read_input_file() throws
// evidence::Error(io_error) when a file cannot be read at all.
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

// The most one input file may hold, decompressed (RunOptions::max_input_bytes, evidence-index
// --max-input-mb): a bound on the memory one file can take, so that a decompression bomb or a
// runaway export is refused early instead of exhausting the machine.
constexpr std::size_t default_max_input_bytes = std::size_t{512} << 20;

// Reads a file, transparently decompressing gzip (detected by its magic bytes, not its name).
// Throws Error (io_error) when the file cannot be read, its gzip data are corrupt or cut short, or
// it holds (or decompresses to) more than max_bytes; the message does not repeat the file's path.
std::string read_input_file(const std::filesystem::path& file, std::size_t max_bytes = default_max_input_bytes);

// Detects the format from the content, not from the file name.
InputFormat detect_format(std::string_view content);

ReadResult read_pubmed_xml(std::string_view content, const std::string& file);
ReadResult read_ctgov_json(std::string_view content, const std::string& file);
// One curated record, an array of records, or JSON Lines; each validated against the schema
// and the vocabulary.
ReadResult read_curated_json(std::string_view content, const std::string& file, const RecordValidator& validator);

// Detects the format and calls the matching reader.
ReadResult read_records(std::string_view content, const std::string& file, const RecordValidator& validator);

namespace detail {
// Shared by the readers (implemented in input.cpp); not part of the indexer's interface.

// A JSON document read with guards against hostile input. The parser is iterative (SAX), so no
// input can exhaust the stack: a value nested deeper than max_depth is dropped (a null stands in
// its place) and its location recorded, and the rest of the document is still read. Bytes that
// are not UTF-8 are replaced by U+FFFD before parsing so that the records holding them can be
// named. A syntax error (truncation, NaN, a number such as 1e400 that overflows a double) stops
// the parse: root then holds everything read before it, and error_path says where it stopped.
struct JsonDocument {
  nlohmann::json root;
  std::string error;                                     // "" when the document parsed completely
  std::vector<std::string> error_path;                   // reference tokens of the value being read
  std::vector<std::vector<std::string>> too_deep;        // locations of dropped, too deeply nested values
  std::vector<std::vector<std::string>> duplicate_keys;  // locations of keys given twice in one object
  std::size_t invalid_utf8_at = std::string::npos;       // offset of the first byte that is not UTF-8
  bool utf8_locatable = true;  // false when the text already held U+FFFD (a replaced byte cannot be told apart)
};
JsonDocument parse_json(std::string_view text, std::size_t max_depth = 64);

// "/a/0/b~1c" from {"a", "0", "b/c"}; tokens before `from` are left out; at most max_tokens.
std::string json_pointer(const std::vector<std::string>& tokens, std::size_t from = 0, std::size_t max_tokens = 64);
// The pointer of the first string or key under j that holds U+FFFD (a byte replaced by
// parse_json), or "" with found=false.
bool find_replaced_text(const nlohmann::json& j, std::string& pointer);
// Text made safe for a problem message: invalid UTF-8 bytes become \xNN, control characters
// become spaces, and it is cut (at a character boundary) to max_bytes with "...".
std::string printable(std::string_view s, std::size_t max_bytes = 200);
// s cut to at most max_bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view s, std::size_t max_bytes);

// Participants from phrases such as "200 patients were randomised", "randomised 851 adults" or,
// with with_n_equals, "n = 120" (implemented in annotator.cpp; the draft writer quotes the sentence
// it is found in, and leaves "n = ..." out: in abstracts it is most often one arm's size).
std::optional<std::int64_t> sample_size(const std::string& text, bool with_n_equals = true);

}  // namespace detail

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
