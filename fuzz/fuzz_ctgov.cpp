// libFuzzer harness: the ClinicalTrials.gov API v2 JSON reader (read_ctgov_json), then what the
// indexer does with each record it returns (annotate, hash, JSON round trip). See fuzz/README.md.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"

using namespace evidence;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::annotator();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = fuzz::as_view(data, size);
  (void)fuzz::no_throw("detect_format", [&] { return detect_format(in); });
  ReadResult r = fuzz::no_throw("read_ctgov_json", [&] { return read_ctgov_json(in, "fuzz.json"); });
  fuzz::check(r.format == InputFormat::ctgov_json, "read_ctgov_json", "format is not ctgov_json");
  for (const auto& p : r.problems)
    fuzz::check(p.file == "fuzz.json", "read_ctgov_json", "problem without the file name");
  for (const auto& s : r.studies) {
    const std::string& nct = s.identifiers.nct;
    fuzz::check(
        nct.size() == 11 && nct.rfind("NCT", 0) == 0 && nct.find_first_not_of("0123456789", 3) == std::string::npos,
        "read_ctgov_json", "accepted a bad NCT number '" + nct + "'");
    fuzz::check(s.id == "ctgov-" + nct, "read_ctgov_json", "id '" + s.id + "' does not follow the NCT number");
    fuzz::check(!s.title.empty() && is_valid_utf8(s.title), "read_ctgov_json", "accepted a bad title");
    fuzz::check(is_valid_utf8(s.abstract_text()), "read_ctgov_json", "accepted a description that is not UTF-8");
    fuzz::check(s.participants() >= 0, "read_ctgov_json", "negative enrolment");
  }
  fuzz::exercise_studies(r.studies, "indexing a ClinicalTrials.gov record");
  return 0;
}
