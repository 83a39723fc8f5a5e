#include "evidence/change_log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace evidence {

using nlohmann::json;

namespace {

json conclusion_json(const ConclusionChange& c) {
  return {{"key", c.key},
          {"before", c.before},
          {"after", c.after},
          {"before_sentence", c.before_sentence},
          {"after_sentence", c.after_sentence}};
}

// The stored log is data written by another run (perhaps another version): a member of the wrong
// type is skipped rather than thrown, like any other data problem.
template <typename T>
void read_member(const json& j, const char* name, T& into) {
  const auto it = j.find(name);
  if (it == j.end()) return;
  try {
    into = it->get<T>();
  } catch (const json::exception&) {}
}

std::vector<std::string> capped(std::vector<std::string> ids) {
  if (ids.size() > max_ids_per_list) ids.resize(max_ids_per_list);
  return ids;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

json to_json(const IndexChanges& c) {
  json conclusions = json::array();
  for (const auto& x : c.conclusions) conclusions.push_back(conclusion_json(x));
  return {{"number", c.number},
          {"id", c.id},
          {"at", c.at},
          {"fresh", c.fresh},
          {"counts",
           {{"added", c.added_count},
            {"updated", c.updated_count},
            {"deleted", c.deleted_count},
            {"retracted", c.retracted_count}}},
          {"added", c.added},
          {"updated", c.updated},
          {"deleted", c.deleted},
          {"retracted", c.retracted},
          {"conclusions", conclusions}};
}

IndexChanges changes_from_json(const json& j) {
  IndexChanges c;
  if (!j.is_object()) return c;
  read_member(j, "number", c.number);
  read_member(j, "id", c.id);
  read_member(j, "at", c.at);
  read_member(j, "fresh", c.fresh);
  if (const auto counts = j.find("counts"); counts != j.end() && counts->is_object()) {
    read_member(*counts, "added", c.added_count);
    read_member(*counts, "updated", c.updated_count);
    read_member(*counts, "deleted", c.deleted_count);
    read_member(*counts, "retracted", c.retracted_count);
  }
  read_member(j, "added", c.added);
  read_member(j, "updated", c.updated);
  read_member(j, "deleted", c.deleted);
  read_member(j, "retracted", c.retracted);
  if (const auto list = j.find("conclusions"); list != j.end() && list->is_array()) {
    for (const auto& x : *list) {
      if (!x.is_object()) continue;
      ConclusionChange cc;
      read_member(x, "key", cc.key);
      read_member(x, "before", cc.before);
      read_member(x, "after", cc.after);
      read_member(x, "before_sentence", cc.before_sentence);
      read_member(x, "after_sentence", cc.after_sentence);
      if (!cc.key.empty()) c.conclusions.push_back(std::move(cc));
    }
  }
  return c;
}

std::vector<IndexChanges> parse_change_log(const std::string& text) {
  std::vector<IndexChanges> log;
  if (text.empty()) return log;
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return log;
  for (const auto& entry : j)
    if (entry.is_object()) log.push_back(changes_from_json(entry));
  return log;
}

std::string dump_change_log(const std::vector<IndexChanges>& log) {
  json j = json::array();
  for (const auto& c : log) j.push_back(to_json(c));
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<IndexChanges> append_changes(std::vector<IndexChanges> log, IndexChanges entry, std::size_t keep) {
  entry.number = log.empty() ? 1 : log.back().number + 1;
  if (entry.id.empty()) entry.id = random_uuid();
  if (entry.at.empty()) entry.at = utc_now();
  entry.added = capped(std::move(entry.added));
  entry.updated = capped(std::move(entry.updated));
  entry.deleted = capped(std::move(entry.deleted));
  entry.retracted = capped(std::move(entry.retracted));
  log.push_back(std::move(entry));
  if (keep == 0) keep = 1;  // the entry just made is the one a caller asked to keep
  if (log.size() > keep) log.erase(log.begin(), log.end() - static_cast<std::ptrdiff_t>(keep));
  return log;
}

std::string random_uuid() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

}  // namespace evidence
