// libFuzzer harness: the curated-record reader (read_curated_json: one record, an array or JSON
// Lines), which validates every record with RecordValidator (schema, vocabulary, sanity rules),
// then what the indexer does with each accepted record (annotate, hash, JSON round trip). Also
// read_records(), the format-detecting entry point the indexer calls. See fuzz/README.md.
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"

using namespace evidence;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::validator();
  (void)fuzz::annotator();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = fuzz::as_view(data, size);
  ReadResult r =
      fuzz::no_throw("read_curated_json", [&] { return read_curated_json(in, "fuzz.json", fuzz::validator()); });
  fuzz::check(r.format == InputFormat::curated_json, "read_curated_json", "format is not curated_json");
  for (const auto& p : r.problems)
    fuzz::check(p.file == "fuzz.json", "read_curated_json", "problem without the file name");
  for (const auto& s : r.studies) {
    fuzz::check(!s.id.empty(), "read_curated_json", "accepted a record without an id");
    fuzz::check(!s.title.empty() && is_valid_utf8(s.title), "read_curated_json", "accepted a bad title");
    // Every concept of an accepted record is in the vocabulary (the validator's promise).
    for (const auto& c : s.population.conditions)
      fuzz::check(fuzz::vocabulary().contains(c), "read_curated_json", "accepted unknown condition '" + c + "'");
    for (const auto& a : s.interventions)
      for (const auto& c : a.concepts)
        fuzz::check(fuzz::vocabulary().contains(c), "read_curated_json", "accepted unknown intervention '" + c + "'");
    for (const auto& o : s.outcomes)
      fuzz::check(fuzz::vocabulary().contains(o.domain), "read_curated_json",
                  "accepted unknown outcome '" + o.domain + "'");
  }
  fuzz::exercise_studies(r.studies, "indexing a curated record");
  // The indexer's entry point: detection plus whichever reader matches (when that is not the
  // curated reader, which ran above).
  if (fuzz::no_throw("detect_format", [&] { return detect_format(in); }) != InputFormat::curated_json) {
    ReadResult any = fuzz::no_throw("read_records", [&] { return read_records(in, "fuzz.json", fuzz::validator()); });
    fuzz::exercise_studies(any.studies, "indexing a record from read_records");
  }
  return 0;
}
