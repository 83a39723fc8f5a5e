#pragma once
// Shared pieces of the libFuzzer harnesses: the vocabulary, schema validator and annotator loaded
// once, a small real index built once per process, and the checks every harness applies.
//
// What counts as a finding (the harness calls abort(), libFuzzer saves the input as crash-*):
//   - any sanitizer report (ASan, UBSan, LeakSanitizer), assert or libstdc++ assertion;
//   - an exception escaping a function whose contract says it does not throw for bad data
//     (the readers, the validator, the annotator, study JSON round trips), or an exception other
//     than evidence::Error(invalid_argument / query_too_complex) from the query parser and search;
//   - a broken invariant (a reader returning a record it should have refused, a study that does
//     not survive the JSON round trip the index does, a SearchRequest outside its limits).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <typeinfo>
#include <unistd.h>
#include <vector>

#include "evidence/errors.hpp"
#include "evidence/appraisal.hpp"
#include "evidence/index.hpp"
#include "evidence/index_run.hpp"
#include "evidence/ingest.hpp"
#include "evidence/record_validator.hpp"
#include "evidence/study.hpp"
#include "evidence/text.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence::fuzz {

namespace fs = std::filesystem;

[[noreturn]] inline void fail(const std::string& step, const std::string& message) {
  std::fprintf(stderr, "\n==FUZZ== FINDING in %s: %s\n", step.c_str(), message.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const std::string& step, const std::string& message) {
  if (!ok) fail(step, "invariant broken: " + message);
}

// Runs f; an exception escaping it is a finding.
template <typename F>
decltype(auto) no_throw(const char* step, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    fail(step, std::string("threw evidence::Error(") + error_code_name(e.code()) + "): " + e.what());
  } catch (const std::exception& e) {
    fail(step, std::string("threw ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    fail(step, "threw a non-std exception");
  }
}

inline fs::path source_dir() { return EVIDENCE_SOURCE_DIR; }

inline const Vocabulary& vocabulary() {
  static const Vocabulary v = Vocabulary::load(source_dir() / "schema/vocabulary.json");
  return v;
}

inline const RecordValidator& validator() {
  static const RecordValidator r = RecordValidator::from_file(source_dir() / "schema/study.schema.json", vocabulary());
  return r;
}

inline const Annotator& annotator() {
  static const Annotator a(vocabulary());
  return a;
}

// What the indexer does with every record a reader returns (run_index / IndexWriter::put):
// annotate it, hash it, store it as JSON; and what a reader of the index does: parse it back.
// All of it must work for every record a reader accepted, and the round trip must be lossless.
inline void exercise_studies(std::vector<Study>& studies, const char* step) {
  for (Study& s : studies) {
    no_throw(step, [&] {
      annotator().annotate(s);
      (void)content_hash(s);
      (void)evidence_level_of(s);
      (void)quality_band_of(s.annotation.quality_score);
      const nlohmann::json j = study_to_json(s, true);
      const std::string stored = j.dump();  // IndexWriter stores this (strict UTF-8)
      const Study back = study_from_json(nlohmann::json::parse(stored));
      check(back.id == s.id, step, "study id changed in the JSON round trip");
      check(study_to_json(back, true) == j, step,
            "study " + s.id + " does not survive the JSON round trip of the index");
      return 0;
    });
  }
}

// An index of tests/data and corpus/ (the real curated records), built once per process in a
// temporary directory ($TMPDIR) that is removed at exit.
inline const fs::path& corpus_index() {
  static const fs::path db = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/evidence-fuzz-index-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) fail("LLVMFuzzerInitialize", "cannot create a temporary directory under " + templ);
    static const fs::path dir = buf.data();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(dir, ec);
    });
    RunOptions opt;
    opt.db = dir / "index";
    for (const char* p : {"tests/data", "corpus"})
      if (fs::is_directory(source_dir() / p)) opt.inputs.push_back(source_dir() / p);
    const RunReport rep = run_index(opt);
    if (!rep.committed)
      fail("LLVMFuzzerInitialize", "could not build the index: " +
                                       rep.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::fprintf(stderr, "INFO: evidence index of %zu records (%zu skipped) built in %.1f s at %s\n",
                 rep.added + rep.updated + rep.unchanged, rep.skipped, rep.seconds, opt.db.c_str());
    for (std::size_t i = 0; i < rep.problems.size() && i < 3; ++i)
      std::fprintf(stderr, "INFO:   %s\n", rep.problems[i].to_string().c_str());
    return opt.db;
  }();
  return db;
}

inline IndexReader& corpus_reader() {
  static IndexReader reader(corpus_index());
  return reader;
}

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline std::string dump_lenient(const nlohmann::json& j) {
  // What the HTTP layer sends (invalid UTF-8 replaced, never thrown).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace evidence::fuzz
