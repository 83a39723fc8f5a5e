// The catalogue of hostile and broken inputs (tests/data/bad/, described in its README.md and
// MANIFEST.tsv): every bad record is refused with its file, record and field named, and every
// good record next to it is indexed. Files too big to commit (30 MB fields, a million levels of
// nesting) are written here, into a temporary copy of the catalogue.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "evidence/index.hpp"
#include "evidence/index_run.hpp"
#include "evidence/ingest.hpp"
#include "evidence/record_validator.hpp"
#include "evidence/text.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::source_dir;
using evidence::test::temp_dir;
using evidence::test::test_data;
using evidence::test::vocabulary;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// One row of MANIFEST.tsv: a problem the indexer must report for the file, and the good records
// of the same file that must be indexed.
struct Expected {
  std::string file, record, field, message;
  std::vector<std::string> good;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

const std::vector<Expected>& manifest() {
  static const std::vector<Expected> rows = [] {
    std::vector<Expected> out;
    std::ifstream in(test_data() / "bad/MANIFEST.tsv");
    if (!in) throw std::runtime_error("cannot read tests/data/bad/MANIFEST.tsv");
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (header) {  // file record field message good
        header = false;
        continue;
      }
      const auto cols = split(line, '\t');
      if (cols.size() != 5) throw std::runtime_error("MANIFEST.tsv: expected 5 tab-separated columns: " + line);
      const auto cell = [](const std::string& c) { return c == "\"\"" ? std::string() : c; };
      Expected e{cols[0], cell(cols[1]), cell(cols[2]), cols[3], {}};
      for (const auto& g : split(cols[4], ','))
        if (!g.empty()) e.good.push_back(g);
      out.push_back(std::move(e));
    }
    return out;
  }();
  return rows;
}

// The manifest's rows grouped by file, in manifest order.
std::vector<std::pair<std::string, std::vector<Expected>>> by_file() {
  std::vector<std::pair<std::string, std::vector<Expected>>> files;
  for (const auto& e : manifest()) {
    auto it = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.first == e.file; });
    if (it == files.end())
      files.push_back({e.file, {e}});
    else
      it->second.push_back(e);
  }
  return files;
}

std::set<std::string> good_ids(const std::vector<Expected>& rows) {
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(r.good.begin(), r.good.end());
  return ids;
}

// What run_index counts as skipped: every problem that names a record, and a problem about the
// whole file when nothing of the file could be read.
std::size_t expected_skipped(const std::vector<Expected>& rows) {
  const bool nothing_read = good_ids(rows).empty();
  std::size_t n = 0;
  for (const auto& r : rows) n += !r.record.empty() || nothing_read ? 1 : 0;
  return n;
}

// The index id a problem's record label stands for ("PMID 5" -> "pubmed-5"), or "".
std::string id_of(const std::string& record) {
  if (record.rfind("PMID ", 0) == 0) return "pubmed-" + record.substr(5);
  if (record.size() == 11 && record.rfind("NCT", 0) == 0) return "ctgov-" + record;
  if (record.rfind("record ", 0) == 0 || record.rfind("line ", 0) == 0 || record.rfind("study ", 0) == 0 ||
      record.empty())
    return "";
  return record;
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string pubmed_article(const std::string& pmid, const std::string& title, const std::string& abstract = "") {
  std::string a = "<PubmedArticle><MedlineCitation Status=\"MEDLINE\"><PMID>" + pmid +
                  "</PMID><Article><Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue><Title>J "
                  "Test</Title></Journal>"
                  "<ArticleTitle>" +
                  title + "</ArticleTitle>";
  if (!abstract.empty()) a += "<Abstract><AbstractText>" + abstract + "</AbstractText></Abstract>";
  return a + "</Article></MedlineCitation></PubmedArticle>\n";
}

json ctgov_study(const std::string& nct) {
  return {{"protocolSection",
           {{"identificationModule", {{"nctId", nct}, {"briefTitle", "Yoga for chronic low back pain"}}},
            {"statusModule", {{"overallStatus", "COMPLETED"}, {"startDateStruct", {{"date", "2012-05"}}}}},
            {"designModule",
             {{"studyType", "INTERVENTIONAL"},
              {"designInfo", {{"allocation", "RANDOMIZED"}}},
              {"enrollmentInfo", {{"count", 90}}}}}}}};
}

json curated_record(const std::string& id) {
  std::ifstream in(test_data() / "curated/TEST001.json");
  json j = json::parse(in);
  j["id"] = id;
  j.erase("identifiers");
  return j;
}

std::string nested(std::size_t depth, const std::string& open, const std::string& inner, const std::string& close) {
  std::string s;
  s.reserve(depth * (open.size() + close.size()) + inner.size());
  for (std::size_t i = 0; i < depth; ++i) s += open;
  s += inner;
  for (std::size_t i = 0; i < depth; ++i) s += close;
  return s;
}

// The files of the manifest whose names start with gen_: too big to commit, written here.
void generate(const fs::path& dir) {
  const std::size_t huge = std::size_t{30} << 20;  // 30 MB
  std::string text;
  text.reserve(huge + 16);
  while (text.size() < huge) text += "Back pain. ";
  const std::string decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PubmedArticleSet>\n";
  // 300,000 levels of inline markup: enough to overflow the stack of a recursive reader.
  write_file(dir / "gen_pm_deep_nesting.xml",
             decl + pubmed_article("99100261", "Walking for chronic low back pain") +
                 pubmed_article("99100262", "Deep " + nested(300000, "<i>", "x", "</i>")) + "</PubmedArticleSet>\n");
  write_file(dir / "gen_pm_huge_abstract.xml", decl + pubmed_article("99100266", "Traction for low back pain") +
                                                   pubmed_article("99100267", "Huge abstract", text) +
                                                   "</PubmedArticleSet>\n");
  {
    json bad = ctgov_study("NCT99100402");
    bad["protocolSection"]["descriptionModule"]["briefSummary"] = text;
    write_file(dir / "gen_ct_huge_summary.json", json{{"studies", {ctgov_study("NCT99100401"), bad}}}.dump());
  }
  {
    // A million levels; the value is spliced in as text (building it as a json would recurse).
    json bad = ctgov_study("NCT99100407");
    bad["derivedSection"] = "@DEEP@";
    std::string page = json{{"studies", {ctgov_study("NCT99100406"), bad}}}.dump();
    page.replace(page.find("\"@DEEP@\""), 8, nested(1000000, "[", "1", "]"));
    write_file(dir / "gen_ct_deep_nesting.json", page);
  }
  {
    std::string line = "{\"id\": \"BAD-CU-GDEEP\", \"title\": " + nested(1000000, "[", "\"x\"", "]") + "}";
    write_file(dir / "gen_cu_deep_nesting.jsonl", curated_record("BAD-CU-GDEEP-OK").dump() + "\n" + line + "\n");
  }
  {
    json bad = curated_record("BAD-CU-HUGE");
    bad["title"] = text;
    write_file(dir / "gen_cu_huge_title.json", json::array({curated_record("BAD-CU-HUGE-OK"), bad}).dump());
  }
}

// A copy of the catalogue with the generated files, made once per test run.
const fs::path& catalogue() {
  static const fs::path dir = [] {
    const fs::path d = temp_dir("bad-inputs") / "bad";
    fs::copy(test_data() / "bad", d, fs::copy_options::recursive);
    generate(d);
    return d;
  }();
  return dir;
}

RunReport index(const fs::path& db, const std::vector<fs::path>& inputs) {
  RunOptions o;
  o.db = db;
  o.inputs = inputs;
  return run_index(o);
}

// Runs of one file each into its own index, four at a time: a run's time is mostly the index's
// durable commit, which overlaps well. Assertions stay on the test's thread.
struct FileRun {
  std::string file;
  std::vector<Expected> rows;
  fs::path db;
  RunReport report;
  std::string error;
};

std::vector<FileRun> run_each_file(const fs::path& dir) {
  std::vector<FileRun> runs;
  for (auto& [file, rows] : by_file()) runs.push_back({file, rows, temp_dir("bad-run") / "index", {}, {}});
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < runs.size(); i = next++) {
      try {
        runs[i].report = index(runs[i].db, {dir / runs[i].file});
      } catch (const std::exception& e) {
        runs[i].error = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  return runs;
}

// Every expected problem is matched by its own reported problem, and nothing else is reported.
void check_problems(const std::vector<RecordProblem>& got, const std::vector<Expected>& want, const fs::path& dir) {
  std::vector<bool> used(got.size(), false);
  for (const auto& w : want) {
    const std::string file = (dir / w.file).string();
    INFO("expected: " << file << " | " << w.record << " | " << w.field << " | ..." << w.message << "...");
    bool found = false;
    for (std::size_t i = 0; i < got.size() && !found; ++i)
      if (!used[i] && got[i].file == file && got[i].record == w.record && got[i].field == w.field &&
          got[i].message.find(w.message) != std::string::npos)
        used[i] = found = true;
    CHECK(found);
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("unexpected problem: " << got[i].to_string());
    CHECK(used[i]);
  }
}

}  // namespace

TEST_CASE("the bad-input catalogue: its manifest covers every file, formats and kinds", "[bad_inputs]") {
  const auto files = by_file();
  std::set<std::string> listed;
  for (const auto& [f, rows] : files) listed.insert(f);
  CHECK(listed.size() >= 50);
  const fs::path dir = test_data() / "bad";
  std::size_t committed = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name == "MANIFEST.tsv" || name == "README.md") continue;
    INFO(name);
    CHECK(listed.count(name) == 1);              // every file has its expected error
    CHECK(name.rfind("gen_", 0) != 0);           // generated files are not committed
    CHECK(fs::file_size(entry.path()) < 20000);  // committed files stay small
    ++committed;
  }
  for (const auto& f : listed) {
    INFO(f);
    CHECK((fs::exists(dir / f) || f.rfind("gen_", 0) == 0));
  }
  CHECK(committed + 6 == listed.size());
  // All three input formats, each with records refused next to records kept.
  for (const char* prefix : {"pm_", "ct_", "cu_"}) {
    std::size_t with_good = 0;
    for (const auto& [f, rows] : files)
      if (f.rfind(prefix, 0) == 0 && !good_ids(rows).empty()) ++with_good;
    INFO(prefix);
    CHECK(with_good >= 10);
  }
}

TEST_CASE("each bad input is refused with file, record and field named, the good records beside it are indexed",
          "[bad_inputs]") {
  const fs::path& dir = catalogue();
  for (const auto& run : run_each_file(dir)) {
    const auto& rows = run.rows;
    const fs::path& db = run.db;
    const RunReport& rep = run.report;
    INFO("catalogue file " << run.file);
    INFO(rep.to_json().dump(-1, ' ', false, json::error_handler_t::replace));
    REQUIRE(run.error == "");
    // The report is what --report writes: it must serialise as strict UTF-8.
    CHECK_NOTHROW(rep.to_json().dump());
    REQUIRE(rep.committed);
    check_problems(rep.problems, rows, dir);
    CHECK(rep.skipped == expected_skipped(rows));
    const auto good = good_ids(rows);
    IndexReader reader(db);
    for (const auto& id : good) {
      INFO("good record " << id);
      CHECK(reader.get(id));
    }
    CHECK(reader.doc_count() == good.size());
    for (const auto& r : rows) {
      const std::string id = id_of(r.record);
      if (id.empty() || good.count(id)) continue;
      INFO("refused record " << id);
      CHECK_FALSE(reader.get(id));
    }
  }
}

TEST_CASE("indexing the whole catalogue after a good run loses nothing that was indexed", "[bad_inputs]") {
  const fs::path& dir = catalogue();
  const fs::path db = temp_dir("bad-all") / "index";
  const RunReport first = index(db, {source_dir() / "corpus"});
  REQUIRE(first.committed);
  REQUIRE(first.skipped == 0);
  std::map<std::string, json> before;
  {
    IndexReader r(db);
    for (const auto& s : r.all_studies()) before[s.id] = study_to_json(s, false);
  }
  REQUIRE(before.size() >= 95);

  const RunReport rep = index(db, {dir});
  INFO(rep.to_json().dump(-1, ' ', false, json::error_handler_t::replace));
  CHECK_NOTHROW(rep.to_json().dump());
  REQUIRE(rep.committed);
  CHECK(rep.exit_code() == 1);
  check_problems(rep.problems, manifest(), dir);
  std::size_t skipped = 0;
  std::set<std::string> good;
  for (const auto& [file, rows] : by_file()) {
    skipped += expected_skipped(rows);
    const auto g = good_ids(rows);
    good.insert(g.begin(), g.end());
  }
  CHECK(rep.skipped == skipped);
  CHECK(rep.merged == 0);
  CHECK(rep.updated == 0);
  CHECK(rep.deleted == 0);
  CHECK(rep.added == good.size());

  IndexReader r(db);
  CHECK(r.doc_count() == before.size() + good.size());
  for (const auto& [id, j] : before) {
    INFO("previously indexed " << id);
    const auto s = r.get(id);
    REQUIRE(s);
    CHECK(study_to_json(*s, false) == j);
  }
  for (const auto& id : good) {
    INFO("good record " << id);
    CHECK(r.get(id));
  }
  // Nothing of an entity, external or internal, reached the index.
  for (const auto& s : r.all_studies()) {
    const std::string text = study_to_json(s, true).dump(-1, ' ', false, json::error_handler_t::replace);
    INFO(s.id);
    CHECK(text.find("root:") == std::string::npos);
    CHECK(text.find("lollol") == std::string::npos);
    CHECK(text.find("&xxe;") == std::string::npos);
    CHECK(text.find("&lol9;") == std::string::npos);
  }
}

TEST_CASE("NaN and infinite numbers in a record built in code are refused by the validator", "[bad_inputs]") {
  const RecordValidator v = RecordValidator::from_file(source_dir() / "schema/study.schema.json", vocabulary());
  for (const char* key : {"value", "ci_low", "ci_high"})
    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      json r = curated_record("NAN1");
      r["outcomes"][0]["effect"][key] = bad;
      INFO(key << " = " << bad);
      const auto issues = v.check_concepts_and_sanity(r);
      bool named = false;
      for (const auto& i : issues)
        named = named || (i.pointer == std::string("/outcomes/0/effect/") + key &&
                          i.message.find("finite") != std::string::npos);
      CHECK(named);
    }
}

TEST_CASE("ClinicalTrials.gov text longer than kept is cut at a character boundary, never inside one", "[bad_inputs]") {
  json st = ctgov_study("NCT99100501");
  std::string label = "A";  // then two-byte characters, so that byte 2000 falls inside one
  while (label.size() < 2100) label += "\xC3\xA9";
  std::string summary = "B";
  while (summary.size() < 20100) summary += "\xE2\x82\xAC";  // three-byte characters
  st["protocolSection"]["armsInterventionsModule"]["armGroups"] =
      json::array({{{"label", label}, {"type", "EXPERIMENTAL"}}});
  st["protocolSection"]["descriptionModule"]["briefSummary"] = summary;
  const ReadResult r = read_ctgov_json(json{{"studies", {st}}}.dump(), "cut.json");
  INFO((r.problems.empty() ? std::string() : r.problems[0].to_string()));
  REQUIRE(r.studies.size() == 1);
  REQUIRE(r.problems.empty());
  const Study& s = r.studies[0];
  REQUIRE(s.interventions.size() == 1);
  CHECK(s.interventions[0].label.size() <= 2000);
  CHECK(is_valid_utf8(s.interventions[0].label));
  REQUIRE_FALSE(s.abstract.empty());
  CHECK(s.abstract[0].text.size() <= 20000);
  CHECK(is_valid_utf8(s.abstract[0].text));
  CHECK_NOTHROW(study_to_json(s).dump());
}
