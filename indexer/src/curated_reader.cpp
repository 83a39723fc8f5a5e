#include <nlohmann/json.hpp>

#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

namespace {

// json::parse with a depth guard: a deeply nested document is refused before the recursive
// parser can exhaust the stack.
bool too_deep(std::string_view s, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escape = false;
  for (char c : s) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) --depth;
  }
  return false;
}

void one_record(const json& r, const std::string& label, const std::string& file, const RecordValidator& validator, ReadResult& out) {
  std::string record = label;
  if (r.is_object() && r.contains("id") && r["id"].is_string()) record = r["id"].get<std::string>();
  const auto issues = validator.validate(r);
  if (!issues.empty()) {
    for (const auto& i : issues) out.problems.push_back({file, record, i.pointer.empty() ? "/" : i.pointer, i.message});
    return;
  }
  Study s = study_from_json(r);
  for (const auto& f : {s.title, s.summary.plain, s.summary.clinician})
    if (!is_valid_utf8(f)) {
      out.problems.push_back({file, record, "/title", "invalid UTF-8"});
      return;
    }
  s.annotation.sources = {"curated"};
  s.annotation.files = {file};
  out.studies.push_back(std::move(s));
}

}  // namespace

ReadResult read_curated_json(std::string_view content, const std::string& file, const RecordValidator& validator) {
  ReadResult out;
  out.format = InputFormat::curated_json;
  if (const auto bad = first_invalid_utf8(content); bad != std::string_view::npos) {
    out.problems.push_back({file, "", "", "invalid UTF-8 at byte " + std::to_string(bad)});
    return out;
  }
  if (too_deep(content, 64)) {
    out.problems.push_back({file, "", "", "JSON nested more than 64 levels deep"});
    return out;
  }
  json j;
  try {
    j = json::parse(content.begin(), content.end());
  } catch (const json::parse_error& whole) {
    // Not one document: try JSON Lines, one record per line.
    std::size_t line_no = 0, start = 0, good = 0;
    std::vector<RecordProblem> line_problems;
    while (start <= content.size()) {
      std::size_t end = content.find('\n', start);
      if (end == std::string_view::npos) end = content.size();
      const std::string_view line = content.substr(start, end - start);
      ++line_no;
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        try {
          one_record(json::parse(line.begin(), line.end()), "line " + std::to_string(line_no), file, validator, out);
          ++good;
        } catch (const json::parse_error& e) {
          line_problems.push_back({file, "line " + std::to_string(line_no), "", std::string("malformed JSON: ") + e.what()});
        }
      }
      start = end + 1;
    }
    if (good == 0) {
      out.problems.push_back({file, "", "", std::string("malformed JSON: ") + whole.what()});
      return out;
    }
    out.problems.insert(out.problems.end(), line_problems.begin(), line_problems.end());
    return out;
  }
  if (j.is_array()) {
    std::size_t i = 0;
    for (const auto& r : j) one_record(r, "record " + std::to_string(++i), file, validator, out);
  } else {
    one_record(j, "record 1", file, validator, out);
  }
  return out;
}

}  // namespace evidence
