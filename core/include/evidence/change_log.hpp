#pragma once
// What each index revision changed, for people who follow a question (the Atom feed of
// /api/feed) and for maintainers (scripts/update prints the newest entry).
//
// The log is written by the indexer in the same transaction as the records it describes, as
// index metadata (fields::meta_changes), and carried into a rebuilt generation, so a rollback to
// an earlier generation brings back that generation's own history. It keeps the newest
// change_log_capacity entries. Reading it never throws for its content: an unreadable log is an
// empty one (it only means the feed has nothing to say), see parse_change_log().
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace evidence {

// One graded conclusion (a finding key, as in the indexer's --report) that changed in a run.
struct ConclusionChange {
  std::string key;                              // intervention|comparator kind|outcome|time point|population
  std::string before, after;                    // "direction; certainty; effect size"; "" when new / gone
  std::string before_sentence, after_sentence;  // the clinician sentence; "" when new / gone or not known
};

// The changes of one committed indexer run.
struct IndexChanges {
  std::uint64_t number = 0;  // 1, 2, ...: the runs that wrote this index, oldest first
  std::string id;            // a random UUID: unique even when a rollback makes a number come again
  std::string at;            // when the run committed, UTC, "YYYY-MM-DDThh:mm:ssZ"
  // A run that wrote a fresh generation (a first run, a rebuild) cannot tell which records are new
  // to a reader: its record lists stay empty and only the counts and conclusions are kept.
  bool fresh = false;
  std::size_t added_count = 0, updated_count = 0, deleted_count = 0, retracted_count = 0;
  // Record ids, each list at most max_ids_per_list long (the counts are whole).
  std::vector<std::string> added, updated, deleted, retracted;
  std::vector<ConclusionChange> conclusions;
};

inline constexpr std::size_t change_log_capacity = 50;
inline constexpr std::size_t max_ids_per_list = 2000;

nlohmann::json to_json(const IndexChanges& changes);
// Missing members take their defaults; members of the wrong type are skipped, never thrown.
IndexChanges changes_from_json(const nlohmann::json& j);

// The stored log, oldest first; "" or text that is not a JSON array of entries gives an empty log
// (entries that are not objects are left out).
std::vector<IndexChanges> parse_change_log(const std::string& text);
std::string dump_change_log(const std::vector<IndexChanges>& log);

// The log with `entry` appended as number (last number + 1) and only the newest `keep` entries.
// An empty id is filled with a random UUID, an empty `at` with the current time. Each id list is
// cut to max_ids_per_list.
std::vector<IndexChanges> append_changes(std::vector<IndexChanges> log, IndexChanges entry,
                                         std::size_t keep = change_log_capacity);

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string random_uuid();

}  // namespace evidence
