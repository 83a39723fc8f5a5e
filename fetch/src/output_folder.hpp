#pragma once
// The output folder of a fetch run: files written whole or not at all, the state file, and the
// dates of a window. Internal to the fetch library. Throws evidence::Error(io_error) when the
// folder or a file cannot be written, invalid_argument for a bad date or state file.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "evidence/fetch.hpp"

namespace evidence::fetch_detail {

// True for a real calendar date written YYYY-MM-DD.
bool is_date(const std::string& s);
// Yesterday in UTC, YYYY-MM-DD: the last whole day, the default end of a window.
std::string yesterday_utc();
// The day after a YYYY-MM-DD date.
std::string next_day(const std::string& date);
// Checks since/until (filling until with yesterday) and that since <= until.
void check_window(const std::string& since, std::string& until);

// Creates the folder and removes the temporary files a killed run of this source ("pubmed",
// "ctgov") left in it; those of the other source, which may be running, are left alone.
void prepare_folder(const std::filesystem::path& dir, const std::string& source);

// Writes dir/name under a hidden temporary name, flushes it to disk and renames it into place,
// so a reader sees the old file or the whole new one, never part of it. On failure the temporary
// file is removed and io_error thrown.
void write_atomically(const std::filesystem::path& dir, const std::string& name, const std::string& content);

// The state file's JSON, or nullopt when there is none; invalid_argument when it is unreadable.
std::optional<nlohmann::json> read_state(const std::filesystem::path& file);
void write_state(const std::filesystem::path& file, const nlohmann::json& state);

// The temporary name write_atomically() uses for `name` (hidden, ends in .part).
std::string temporary_name(const std::string& name);

// The state file of a source in a folder: hidden, so that evidence-index skips it.
std::filesystem::path state_file(const std::filesystem::path& dir, const std::string& source);

// The window a run fetches, from its options and the folder's state:
//   - the state's unfinished window, when --since is absent or the same (and --until too): resumed;
//   - else [--since or the day after the last finished window, --until or yesterday];
//   - up_to_date when neither date is given and the last window already ended yesterday.
// The state's "window" object is kept for a resumed window and replaced by an empty one otherwise.
// Throws invalid_argument for a state of another query, bad dates, or no --since and no
// finished window to continue from.
struct Window {
  std::string since, until;
  bool resumed = false;
  bool up_to_date = false;  // nothing to fetch: no request is made, nothing is written
  nlohmann::json state;     // the whole state to write back, "window" set as described
};
Window plan_window(const std::optional<nlohmann::json>& state, const std::string& source, const std::string& query,
                   const std::string& since, const std::string& until, const std::filesystem::path& file);

// A run begun: the report's source, dry-run flag, state file and window filled in from the
// folder's state for `source` (plan_window, which says what it throws); when the window is up to
// date, the report says so with a count of 0, and the caller returns it as it is.
Window begin_run(const FetchWindow& options, const std::string& source, FetchReport& report);

// YYYYMMDD from YYYY-MM-DD, for file names.
std::string compact_date(const std::string& date);

}  // namespace evidence::fetch_detail
