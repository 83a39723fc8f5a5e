#pragma once
// One run of the indexer: read every input, annotate, merge duplicates, write the index in one
// transaction, and report what changed. Bad records are reported and skipped; the rest is
// committed. Throws evidence::Error for what stops the whole run (index locked or unreadable,
// vocabulary or schema unusable, an input path that does not exist).
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/change_log.hpp"
#include "evidence/ingest.hpp"

namespace evidence {

struct RunOptions {
  std::filesystem::path db;
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path schema_file;      // default: schema/study.schema.json of data_dir()
  std::filesystem::path vocabulary_file;  // default: schema/vocabulary.json of data_dir()
  bool strict = false;                    // any skipped record fails the run (nothing committed)
  bool rebuild = false;                   // write a fresh generation and swap it in
  // Write into a copy of the live generation and swap it in, keeping the live one on disk as the
  // previous generation (evidence-index --rollback returns to it). Ignored with rebuild, which
  // keeps the previous generation too.
  bool keep_previous = false;
  bool prune = false;    // delete records of previously indexed files that vanished
  unsigned threads = 0;  // reading, annotation and document building; 0: one per core
  // The most one input file may hold, decompressed; a larger one is skipped with a report.
  std::size_t max_input_bytes = default_max_input_bytes;
  // Build one shard of a partitioned index: only records whose id hashes to shard_index.
  std::size_t shard_index = 0, shard_count = 1;
  // Called after each record with (done, total); used for the progress line on a terminal.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct RunReport {
  std::size_t files = 0, records_read = 0, added = 0, updated = 0, unchanged = 0, deleted = 0, skipped = 0, merged = 0;
  std::vector<RecordProblem> problems;
  std::vector<std::string> retracted;                 // ids flagged retracted in this run
  std::vector<ConclusionChange> changed_conclusions;  // key, before and after, with their sentences
  // What this run added to the index's change log (change_log.hpp): record ids for a run into an
  // existing index, counts and changed conclusions for every run. A run that changed nothing
  // adds no entry (changes.number is then 0).
  IndexChanges changes;
  std::map<std::string, std::size_t> by_format;
  // Annotation coverage per source: records, and how many got an intervention, a condition, a
  // design other than "other", an outcome domain, and a result direction.
  struct Coverage {
    std::size_t records = 0, intervention = 0, condition = 0, design = 0, outcome = 0, direction = 0;
  };
  std::map<std::string, Coverage> coverage;
  std::size_t other_shard = 0;  // records left to the other shards of a partitioned build
  unsigned threads = 0;
  bool committed = false;
  double seconds = 0;
  std::map<std::string, double> timings;  // seconds per phase: read, merge, index, findings, commit
  std::string revision_before, revision_after;

  nlohmann::json to_json() const;
  // 0: everything indexed; 1: some records skipped (the rest committed); 2: nothing could be done.
  int exit_code() const;
};

RunReport run_index(const RunOptions& options);

// The shard (0..shard_count-1) a record id belongs to: a stable hash, the same on every machine.
std::size_t shard_of(const std::string& id, std::size_t shard_count);

// Files under the given paths (directories walked recursively, sorted, hidden files skipped).
// Throws Error(invalid_argument) for a path that does not exist.
std::vector<std::filesystem::path> collect_input_files(const std::vector<std::filesystem::path>& paths);

// One file to read, and the name its records carry (annotation.files): the path relative to the
// input directory it was found under, or the file name of a file named on its own, never the
// machine's absolute path (records are shown by the API and in exports).
struct InputFile {
  std::filesystem::path path;
  std::string shown_as;
};
// As collect_input_files(); a directory that cannot be read (permissions, I/O error) is a
// problem in `unreadable` (file: the directory, message: why) instead of vanishing silently.
std::vector<InputFile> collect_inputs(const std::vector<std::filesystem::path>& paths,
                                      std::vector<RecordProblem>& unreadable);

// Merges `from` into `into` (same study from another source): `into` keeps its own curated
// facts; bibliographic gaps, abstract, MeSH and identifiers are filled from `from`.
void merge_study(Study& into, const Study& from);

}  // namespace evidence
