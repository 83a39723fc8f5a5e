// Golden tests: each question of tests/golden/questions.json is asked over real HTTP of a server
// on an index of corpus/, and the whole /api/search and /api/summary JSON is compared with the
// answer stored in tests/golden/<name>.json (volatile fields masked, numbers rounded to 6
// significant digits so that builds with other optimisation levels agree).
//
// Any change of behaviour shows up here. When a change is intended, regenerate with
//   EVIDENCE_GOLDEN_UPDATE=1 build/ci/tests/evidence_tests "[golden]"
// and commit the new expectations on their own, with the reason in the commit message.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "evidence/url.hpp"
#include "test_support.hpp"

using evidence::percent_encode;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Fields that differ from run to run with the same question (time) or with how the index was
// written (its revision), not with what the search answers.
bool is_volatile(const std::string& key) { return key == "search_time_ms" || key == "index_revision"; }

json normalised(const json& j) {
  if (j.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : j.items()) out[k] = is_volatile(k) ? json("<masked>") : normalised(v);
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(normalised(v));
    return out;
  }
  if (j.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", j.get<double>());
    return std::strtod(buf, nullptr);
  }
  return j;
}

std::string query_string(const json& question) {
  std::string qs = "q=" + percent_encode(question.at("q").get<std::string>());
  if (question.contains("params"))
    for (const auto& [k, v] : question.at("params").items()) qs += "&" + k + "=" + percent_encode(v.get<std::string>());
  return qs;
}

// The answer with its status: a question the API refuses is part of its behaviour too.
json get(httplib::Client& client, const std::string& path) {
  auto r = client.Get(path.c_str());
  REQUIRE(r);
  INFO(path << " -> " << r->status << " " << r->body.substr(0, 300));
  json body = json::parse(r->body);
  if (r->status != 200) body["http_status"] = r->status;
  return body;
}

// The first differences as JSON pointers, so a failure says where the answer changed.
std::string describe_differences(const json& expected, const json& actual) {
  const json patch = json::diff(expected, actual);
  std::string out;
  std::size_t shown = 0;
  for (const auto& op : patch) {
    if (++shown > 12) {
      out += "... and " + std::to_string(patch.size() - 12) + " more\n";
      break;
    }
    out += op.at("op").get<std::string>() + " " + op.at("path").get<std::string>();
    if (op.contains("value")) out += " = " + op.at("value").dump().substr(0, 160);
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("golden questions: /api/search and /api/summary answers are unchanged", "[golden]") {
  const fs::path dir = evidence::test::source_dir() / "tests/golden";
  const json questions = json::parse(evidence::test::read_text(dir / "questions.json"));
  REQUIRE(questions.size() >= 30);
  const bool update = std::getenv("EVIDENCE_GOLDEN_UPDATE") != nullptr;

  evidence::test::TestServer server(evidence::test::corpus_index());
  auto client = server.client();
  for (const json& question : questions) {
    const std::string name = question.at("name");
    const std::string qs = query_string(question);
    INFO("golden question " << name << ": " << qs);
    json actual = {{"request", qs},
                   {"search", normalised(get(client, "/api/search?" + qs))},
                   {"summary", normalised(get(client, "/api/summary?" + qs))}};
    const fs::path file = dir / (name + ".json");
    if (update) {
      std::ofstream(file) << actual.dump(1) << "\n";
      continue;
    }
    INFO("stored answer " << file << " (create it with EVIDENCE_GOLDEN_UPDATE=1)");
    REQUIRE(fs::exists(file));
    const json expected = json::parse(evidence::test::read_text(file));
    INFO("differences (expected -> actual):\n" << describe_differences(expected, actual));
    CHECK(expected == actual);
  }
}
