#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "evidence/readability.hpp"
#include "evidence/record_validator.hpp"
#include "evidence/study.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::source_dir;
using evidence::test::validator;
using evidence::test::vocabulary;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
json load(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

TEST_CASE("valid schema examples pass", "[schema]") {
  int n = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "schema/examples/valid")) {
    INFO(e.path());
    const auto issues = validator().validate(load(e.path()));
    for (const auto& i : issues) UNSCOPED_INFO(i.pointer << ": " << i.message);
    CHECK(issues.empty());
    ++n;
  }
  CHECK(n >= 3);
}

TEST_CASE("invalid schema examples are rejected at the expected field with the expected message", "[schema]") {
  int n = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "schema/examples/invalid")) {
    if (e.path().extension() != ".json") continue;
    fs::path expect = e.path();
    expect.replace_extension(".expect");
    std::ifstream in(expect);
    std::string line;
    std::getline(in, line);
    const auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    const std::string pointer = line.substr(0, tab), message = line.substr(tab + 1);
    INFO(e.path().filename() << " expects " << pointer << " / " << message);
    const auto issues = validator().validate(load(e.path()));
    REQUIRE_FALSE(issues.empty());
    bool found = false;
    for (const auto& i : issues) {
      UNSCOPED_INFO("got " << i.pointer << ": " << i.message);
      if (i.pointer == pointer && lower(i.message).find(lower(message)) != std::string::npos) found = true;
      if (pointer.empty() && i.pointer.empty() && lower(i.message).find(lower(message)) != std::string::npos)
        found = true;
    }
    CHECK(found);
    ++n;
  }
  CHECK(n >= 15);
}

TEST_CASE("every curated record in corpus/ is valid and round-trips through the study model", "[corpus]") {
  int n = 0;
  std::set<std::string> ids;
  for (const auto& e : fs::directory_iterator(source_dir() / "corpus")) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path().filename());
    const json j = load(e.path());
    const auto issues = validator().validate(j);
    for (const auto& i : issues) UNSCOPED_INFO(i.pointer << ": " << i.message);
    CHECK(issues.empty());
    const Study s = study_from_json(j);
    CHECK(e.path().stem() == s.id);
    CHECK(ids.insert(s.id).second);
    const json back = study_to_json(s, false);
    INFO(json::diff(j, back).dump());
    CHECK(back == j);  // nothing lost or invented by the model
    ++n;
  }
  CHECK(n >= 95);
}

TEST_CASE("plain-language summaries read at grade 8 or below (Flesch-Kincaid)", "[corpus][readability]") {
  for (const auto& e : fs::directory_iterator(source_dir() / "corpus")) {
    if (e.path().extension() != ".json") continue;  // corpus/README.md
    const Study s = study_from_json(load(e.path()));
    INFO(s.id << ": " << s.summary.plain);
    REQUIRE_FALSE(s.summary.plain.empty());
    CHECK(readability(s.summary.plain).grade <= 8.0);
  }
}

TEST_CASE("each treatment the founding brief names has at least one curated record", "[corpus]") {
  std::set<std::string> covered;
  for (const auto& e : fs::directory_iterator(source_dir() / "corpus")) {
    if (e.path().extension() != ".json") continue;  // corpus/README.md
    const Study s = study_from_json(load(e.path()));
    for (const auto& a : s.interventions)
      for (const auto& c : a.concepts)
        for (const auto& anc : vocabulary().ancestors(c)) covered.insert(anc);
  }
  for (const char* t : {"physiotherapy", "exercise_therapy", "surgical_decompression",
                        "osteopathic_manipulative_treatment", "tens", "pens", "interferential_current", "acupuncture",
                        "massage", "manual_therapy", "opioids", "diagnostic_imaging", "electrotherapy"}) {
    INFO(t);
    CHECK(covered.count(t) == 1);
  }
}

TEST_CASE("every PMID and DOI in corpus/ appears in the reference sheet", "[corpus][shared]") {
  const fs::path sheet = evidence::test::shared_reference() / "lbp_studies.csv";
  if (evidence::test::shared_reference().empty() || !fs::exists(sheet)) {
    WARN("skipped: ../shared/reference/lbp_studies.csv is not present");
    return;
  }
  const std::string text = evidence::test::read_text(sheet);
  int checked = 0;
  for (const auto& e : fs::directory_iterator(source_dir() / "corpus")) {
    if (e.path().extension() != ".json") continue;  // corpus/README.md
    const Study s = study_from_json(load(e.path()));
    INFO(s.id);
    if (!s.identifiers.pmid.empty()) {
      CHECK(text.find(s.identifiers.pmid) != std::string::npos);
      ++checked;
    }
    if (!s.identifiers.doi.empty()) {
      CHECK(text.find(s.identifiers.doi) != std::string::npos);
      ++checked;
    }
    // The record's row exists and carries the same first author surname.
    REQUIRE_FALSE(s.provenance.reference_row.empty());
    CHECK(text.find("\"" + s.provenance.reference_row + "\"") != std::string::npos);
  }
  CHECK(checked > 50);
}

TEST_CASE("fields the sheet marks UNVERIFIED are not filled in", "[corpus][shared]") {
  const fs::path sheet = evidence::test::shared_reference() / "lbp_studies.csv";
  if (evidence::test::shared_reference().empty() || !fs::exists(sheet)) {
    WARN("skipped: ../shared/reference/lbp_studies.csv is not present");
    return;
  }
  // Rows are one per line in the sheet; the pmid column is the 7th quoted field.
  std::ifstream in(sheet);
  std::string line;
  std::map<std::string, std::string> pmid_field;
  const std::regex row(R"re(^"(LBP\d+)","[^"]*","[^"]*","[^"]*","[^"]*","[^"]*","([^"]*)")re");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) pmid_field[m[1]] = m[2];
  }
  REQUIRE(pmid_field.size() > 90);
  for (const auto& e : fs::directory_iterator(source_dir() / "corpus")) {
    if (e.path().extension() != ".json") continue;  // corpus/README.md
    const Study s = study_from_json(load(e.path()));
    auto it = pmid_field.find(s.provenance.reference_row);
    if (it == pmid_field.end()) continue;
    INFO(s.id << " pmid field in sheet: " << it->second);
    if (it->second.find("UNVERIFIED") != std::string::npos || it->second.find("UNCONFIRMED") != std::string::npos)
      CHECK(s.identifiers.pmid.empty());
  }
}

TEST_CASE("the closed sets of the study model have the schema's words, each parsed and named once", "[schema]") {
  const json schema = load(source_dir() / "schema/study.schema.json");
  const json& directions = schema.at("definitions").at("outcome").at("properties").at("direction").at("enum");
  for (const auto& word : directions) {
    INFO(word);
    const auto d = parse_direction(word.get<std::string>());
    REQUIRE(d);
    CHECK(direction_name(*d) == word.get<std::string>());
  }
  CHECK_FALSE(parse_direction("favours intervention"));
  // A finding's certainty is the schema's certainty_level less what only a source may state.
  int levels = 0;
  for (const auto& word : schema.at("definitions").at("certainty_level").at("enum")) {
    const std::string w = word.get<std::string>();
    INFO(w);
    if (w == "insufficient" || w == "not_rated") {
      CHECK_FALSE(parse_certainty_level(w));
      continue;
    }
    const auto l = parse_certainty_level(w);
    REQUIRE(l);
    CHECK(certainty_level_name(*l) == w);
    ++levels;
  }
  CHECK(levels == 4);
  CHECK(std::string(certainty_level_words(CertaintyLevel::very_low)) == "very low");
  CHECK(CertaintyLevel::very_low < CertaintyLevel::high);
}

TEST_CASE("a closed set is its word in JSON", "[schema]") {
  CHECK(json(Direction::no_difference) == "no_difference");
  CHECK(json(CertaintyLevel::very_low) == "very_low");
  CHECK(json{{"direction", Direction::unclear}}.dump() == R"({"direction":"unclear"})");
}
