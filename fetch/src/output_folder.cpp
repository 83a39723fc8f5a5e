#include "output_folder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "evidence/errors.hpp"

namespace evidence::fetch_detail {

namespace fs = std::filesystem;

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return false;
  const std::chrono::year_month_day d{std::chrono::year(std::stoi(s.substr(0, 4))),
                                      std::chrono::month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
                                      std::chrono::day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))};
  return d.ok();
}

namespace {
std::string format_date(const std::chrono::year_month_day& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}
std::chrono::sys_days parse_date(const std::string& s) {
  return std::chrono::year_month_day{std::chrono::year(std::stoi(s.substr(0, 4))),
                                     std::chrono::month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
                                     std::chrono::day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))};
}
}  // namespace

std::string yesterday_utc() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return format_date(std::chrono::year_month_day{today - std::chrono::days(1)});
}

std::string next_day(const std::string& date) {
  return format_date(std::chrono::year_month_day{parse_date(date) + std::chrono::days(1)});
}

void check_window(const std::string& since, std::string& until) {
  if (until.empty()) until = yesterday_utc();
  if (!is_date(since)) throw Error(ErrorCode::invalid_argument, "--since '" + since + "' is not a date (YYYY-MM-DD)");
  if (!is_date(until)) throw Error(ErrorCode::invalid_argument, "--until '" + until + "' is not a date (YYYY-MM-DD)");
  // YYYY-MM-DD strings order as the dates do.
  if (since > until) throw Error(ErrorCode::invalid_argument, "--since " + since + " is after --until " + until);
}

std::string temporary_name(const std::string& name) { return "." + name + ".part"; }

void prepare_folder(const fs::path& dir, const std::string& source) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::io_error, "cannot create the output folder " + dir.string() + ": " + ec.message());
  // A run killed while writing leaves its temporary file (see temporary_name).
  // Output files are named "<source>-...", so theirs start with "." + source + "-".
  const std::string own_state = temporary_name(state_file(dir, source).filename().string());
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (n == own_state || (n.starts_with("." + source + "-") && n.ends_with(".part"))) fs::remove(entry.path(), ec);
  }
  if (ec) throw Error(ErrorCode::io_error, "cannot read the output folder " + dir.string() + ": " + ec.message());
}

void write_atomically(const fs::path& dir, const std::string& name, const std::string& content) {
  const fs::path tmp = dir / temporary_name(name);
  const fs::path target = dir / name;
  const auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw Error(ErrorCode::io_error, "cannot " + what + " " + target.string() + ": " + reason);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create a temporary file for");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  // The data must be on disk before the rename makes it visible: after a power cut the name
  // would otherwise point at an empty file.
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("flush");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(tmp.c_str(), target.c_str()) != 0) fail("rename into place");
}

fs::path state_file(const fs::path& dir, const std::string& source) { return dir / (".fetch-" + source + ".json"); }

Window begin_run(const FetchWindow& options, const std::string& source, FetchReport& report) {
  report.source = source;
  report.dry_run = options.dry_run;
  report.state_file = state_file(options.out, source);
  Window w = plan_window(read_state(report.state_file), source, options.query, options.since, options.until,
                         report.state_file);
  report.since = w.since;
  report.until = w.until;
  if (w.up_to_date) {
    report.up_to_date = true;
    report.count = 0;
  }
  return w;
}

std::string compact_date(const std::string& date) {
  std::string s = date;
  std::erase(s, '-');
  return s;
}

Window plan_window(const std::optional<nlohmann::json>& state, const std::string& source, const std::string& query,
                   const std::string& since, const std::string& until, const fs::path& file) {
  Window w;
  w.state = state.value_or(nlohmann::json{{"source", source}, {"query", query}, {"last_until", ""}});
  try {
    if (w.state.at("source").get<std::string>() != source)
      throw Error(ErrorCode::invalid_argument, "the state file " + file.string() + " is not one of " + source);
    if (w.state.at("query").get<std::string>() != query)
      throw Error(ErrorCode::invalid_argument, "the folder was filled by a fetch of another query ('" +
                                                   w.state.at("query").get<std::string>() + "', see " + file.string() +
                                                   "): fetch this one into another folder");
    const nlohmann::json* open_window = nullptr;
    if (w.state.contains("window") && !w.state["window"].at("complete").get<bool>()) open_window = &w.state["window"];
    if (open_window && (since.empty() || since == open_window->at("since").get<std::string>()) &&
        (until.empty() || until == open_window->at("until").get<std::string>())) {
      w.since = open_window->at("since").get<std::string>();
      w.until = open_window->at("until").get<std::string>();
      w.resumed = true;
      return w;
    }
    // Windows follow each other without overlap: a record in two windows would be in two files
    // of the folder, and evidence-index keeps only the first of two records with one id in a run.
    const std::string last = w.state.at("last_until").get<std::string>();
    w.since = since.empty() && !last.empty() ? next_day(last) : since;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::invalid_argument,
                "the state file " + file.string() + " is unreadable (" + e.what() + "); remove it to start over");
  }
  if (w.since.empty())
    throw Error(ErrorCode::invalid_argument,
                "--since is needed: no earlier run into " + file.parent_path().string() + " to continue from");
  w.until = until;
  if (since.empty() && w.until.empty() && w.since > yesterday_utc()) {
    w.up_to_date = true;  // run again the same day: the last run fetched up to yesterday
    w.until = w.since;
    return w;
  }
  check_window(w.since, w.until);
  w.state["window"] = nlohmann::json::object();
  return w;
}

std::optional<nlohmann::json> read_state(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    if (!fs::exists(file)) return std::nullopt;
    throw Error(ErrorCode::io_error, "cannot read the state file " + file.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorCode::invalid_argument,
                "the state file " + file.string() + " is not JSON; remove it to start the window over");
  return j;
}

void write_state(const fs::path& file, const nlohmann::json& state) {
  write_atomically(file.parent_path(), file.filename().string(), state.dump(2) + "\n");
}

}  // namespace evidence::fetch_detail
