#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

namespace {

constexpr std::size_t max_depth = 64;

struct Context {
  const std::string& file;
  const RecordValidator& validator;
  ReadResult& out;
  // "pmid:123" -> id and normalised title of the record of this file that carries it.
  std::map<std::string, std::pair<std::string, std::string>> claimed;

  void problem(const std::string& record, const std::string& field, const std::string& message) {
    out.problems.push_back({file, detail::printable(record, 100), field, message});
  }
};

std::string record_label(const json& r, const std::string& fallback) {
  if (r.is_object())
    if (auto it = r.find("id"); it != r.end() && it->is_string()) {
      const std::string& id = it->get_ref<const std::string&>();
      // An id holding a replaced byte (invalid UTF-8) would name the record wrongly.
      if (!id.empty() && id.find("\xEF\xBF\xBD") == std::string::npos) return id;
    }
  return fallback;
}

// Problems that come from how the record was read (nesting, encoding) rather than what it says.
// `at`: the reference tokens of the record inside its document.
bool reading_problem(const detail::JsonDocument& doc, const std::vector<std::string>& at, const json& r,
                     const std::string& record, Context& c) {
  for (const auto& deep : doc.too_deep)
    if (deep.size() > at.size() && std::equal(at.begin(), at.end(), deep.begin())) {
      c.problem(record, detail::json_pointer(deep, at.size(), 4),
                "JSON nested more than " + std::to_string(max_depth) + " levels deep; the record is skipped");
      return true;
    }
  for (const auto& dup : doc.duplicate_keys)
    if (dup.size() > at.size() && std::equal(at.begin(), at.end(), dup.begin())) {
      c.problem(record, detail::json_pointer(dup, at.size()),
                "key given twice in one object; which value is meant cannot be known, so the record is skipped");
      return true;
    }
  if (doc.invalid_utf8_at != std::string::npos) {
    std::string pointer;
    if (detail::find_replaced_text(r, pointer)) {
      c.problem(
          record, pointer.empty() ? "/" : pointer,
          "invalid UTF-8: the text is not UTF-8 (Latin-1 or Windows-1252?); the file's first bad byte is at offset " +
              std::to_string(doc.invalid_utf8_at));
      return true;
    }
  }
  return false;
}

void one_record(const json& r, const std::string& fallback_label, const detail::JsonDocument& doc,
                const std::vector<std::string>& at, Context& c) {
  const std::string record = record_label(r, fallback_label);
  if (reading_problem(doc, at, r, record, c)) return;
  const auto issues = c.validator.validate(r);
  if (!issues.empty()) {
    for (const auto& i : issues)
      c.problem(record, i.pointer.empty() ? "/" : i.pointer, detail::printable(i.message, 500));
    return;
  }
  Study s = study_from_json(r);
  for (const auto& f : {s.title, s.summary.plain, s.summary.clinician})
    if (!is_valid_utf8(f)) {
      c.problem(record, "/title", "invalid UTF-8");
      return;
    }
  // A record that claims the PMID, DOI or NCT id of another record of the file with a different
  // title is not the same study: one identifier is wrong, and the indexer would silently merge
  // the second record into the first. (The same id twice is reported by the indexer as a
  // duplicate; two copies of one study under different ids are merged as designed.)
  const std::string title = normalise(s.title);
  std::vector<std::string> keys;
  for (const auto& [kind, value] : {std::pair{"pmid", s.identifiers.pmid}, std::pair{"doi", s.identifiers.doi},
                                    std::pair{"nct", s.identifiers.nct}}) {
    if (value.empty()) continue;
    std::string key = std::string(kind) + ":" + value;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (auto it = c.claimed.find(key);
        it != c.claimed.end() && it->second.first != s.id && it->second.second != title) {
      std::string name = kind;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      c.problem(record, std::string("/identifiers/") + kind,
                name + " " + detail::printable(value, 80) + " is already claimed by record " +
                    detail::printable(it->second.first, 80) +
                    " of this file, which has a different title; one of the two identifiers is wrong");
      return;
    }
    keys.push_back(std::move(key));
  }
  for (auto& k : keys) c.claimed.emplace(std::move(k), std::pair{s.id, title});
  s.annotation.sources = {"curated"};
  s.annotation.files = {c.file};
  c.out.studies.push_back(std::move(s));
}

// Records of a document that parsed completely: one record or an array of them.
void whole_document(const detail::JsonDocument& doc, Context& c) {
  if (doc.root.is_array()) {
    for (std::size_t i = 0; i < doc.root.size(); ++i)
      one_record(doc.root[i], "record " + std::to_string(i + 1), doc, {std::to_string(i)}, c);
  } else {
    one_record(doc.root, "record 1", doc, {}, c);
  }
}

// A document that stopped at a syntax error (a truncated file, NaN, a number out of range):
// the records completed before the error are kept; the one it is in is reported with the field.
void broken_document(const detail::JsonDocument& doc, Context& c) {
  const auto& path = doc.error_path;
  const std::string rest = "; the rest of the file is not read";
  if (doc.root.is_array() && !path.empty()) {
    const std::size_t k = std::stoul(path[0]);
    for (std::size_t i = 0; i < k && i < doc.root.size(); ++i)
      one_record(doc.root[i], "record " + std::to_string(i + 1), doc, {std::to_string(i)}, c);
    const std::string fallback = "record " + std::to_string(k + 1);
    c.problem(k < doc.root.size() ? record_label(doc.root[k], fallback) : fallback, detail::json_pointer(path, 1),
              doc.error + rest);
    return;
  }
  if (doc.root.is_object() && !path.empty()) {
    c.problem(record_label(doc.root, "record 1"), detail::json_pointer(path), doc.error);
    return;
  }
  c.problem("", detail::json_pointer(path), doc.error);
}

}  // namespace

ReadResult read_curated_json(std::string_view content, const std::string& file, const RecordValidator& validator) {
  ReadResult out;
  out.format = InputFormat::curated_json;
  Context c{file, validator, out, {}};
  const detail::JsonDocument doc = detail::parse_json(content, max_depth);
  if (doc.invalid_utf8_at != std::string::npos && !doc.utf8_locatable) {
    c.problem("", "", "invalid UTF-8 at byte " + std::to_string(doc.invalid_utf8_at));
    return out;
  }
  if (doc.error.empty()) {
    whole_document(doc, c);
    return out;
  }
  // Not one document: JSON Lines, one record per line, when at least one line holds a record.
  struct Line {
    std::size_t number;
    detail::JsonDocument doc;
  };
  std::vector<Line> lines;
  std::size_t objects = 0;
  for (std::size_t start = 0, number = 1; start < content.size(); ++number) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    const std::string_view line = content.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      lines.push_back({number, detail::parse_json(line, max_depth)});
      if (lines.back().doc.error.empty() && lines.back().doc.root.is_object()) ++objects;
    }
    start = end + 1;
  }
  if (objects == 0) {
    broken_document(doc, c);
    return out;
  }
  for (const auto& l : lines) {
    const std::string label = "line " + std::to_string(l.number);
    if (l.doc.invalid_utf8_at != std::string::npos && !l.doc.utf8_locatable)
      c.problem(label, "", "invalid UTF-8 at byte " + std::to_string(l.doc.invalid_utf8_at) + " of the line");
    else if (!l.doc.error.empty())
      c.problem(label, detail::json_pointer(l.doc.error_path), l.doc.error);
    else
      one_record(l.doc.root, label, l.doc, {}, c);
  }
  return out;
}

}  // namespace evidence
