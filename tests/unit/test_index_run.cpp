#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <fcntl.h>
#include <unistd.h>

#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "evidence/index_run.hpp"
#include "evidence/study.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::source_dir;
using evidence::test::temp_dir;
using evidence::test::test_data;
using evidence::test::vocabulary;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
RunReport index_paths(const fs::path& db, std::vector<fs::path> inputs, bool strict = false, bool rebuild = false) {
  RunOptions o;
  o.db = db;
  o.inputs = std::move(inputs);
  o.strict = strict;
  o.rebuild = rebuild;
  return run_index(o);
}
json curated(const std::string& id, const std::string& pmid = "") {
  std::ifstream in(test_data() / "curated/TEST001.json");
  json j = json::parse(in);
  j["id"] = id;
  if (pmid.empty())
    j.erase("identifiers");
  else
    j["identifiers"]["pmid"] = pmid;
  return j;
}
void write(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(2); }
}  // namespace

TEST_CASE("the corpus indexes with no error and re-indexing is idempotent", "[index]") {
  const fs::path db = temp_dir("idem") / "index";
  const auto first = index_paths(db, {source_dir() / "corpus"});
  INFO(first.to_json().dump());
  CHECK(first.skipped == 0);
  CHECK(first.added >= 95);
  CHECK(first.exit_code() == 0);
  const auto second = index_paths(db, {source_dir() / "corpus"});
  CHECK(second.added == 0);
  CHECK(second.updated == 0);
  CHECK(second.unchanged == first.added);
  CHECK(second.changed_conclusions.empty());  // nothing changed, so no conclusion changed
  IndexReader r(db);
  CHECK(r.doc_count() == first.added);
}

TEST_CASE("a changed record is replaced, an unchanged one is not rewritten", "[index]") {
  const fs::path dir = temp_dir("update"), db = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "a.json", curated("TESTA"));
  write(in / "b.json", curated("TESTB"));
  CHECK(index_paths(db, {in}).added == 2);
  json changed = curated("TESTB");
  changed["title"] = "A changed title about TENS for chronic low back pain";
  write(in / "b.json", changed);
  const auto r = index_paths(db, {in});
  CHECK(r.updated == 1);
  CHECK(r.unchanged == 1);
  CHECK(IndexReader(db).get("TESTB")->title == "A changed title about TENS for chronic low back pain");
}

TEST_CASE("a bad record is reported with file, record and field, good ones are committed, exit code 1", "[index]") {
  const fs::path dir = temp_dir("bad"), db = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "good.json", curated("GOOD1"));
  json bad = curated("BAD1");
  bad["interventions"][0]["concepts"] = {"crystal_healing"};
  write(in / "bad.json", bad);
  std::ofstream(in / "broken.json") << "{\"id\": ";
  const auto r = index_paths(db, {in});
  CHECK(r.added == 1);
  CHECK(r.skipped == 2);
  CHECK(r.exit_code() == 1);
  bool named = false;
  for (const auto& p : r.problems)
    if (p.file.find("bad.json") != std::string::npos && p.record == "BAD1" &&
        p.field == "/interventions/0/concepts/0" && p.message.find("crystal_healing") != std::string::npos)
      named = true;
  CHECK(named);
  CHECK(IndexReader(db).get("GOOD1"));
  CHECK_FALSE(IndexReader(db).get("BAD1"));
}

TEST_CASE("strict mode commits nothing when a record is bad", "[index]") {
  const fs::path dir = temp_dir("strict"), db = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "good.json", curated("GOOD1"));
  CHECK(index_paths(db, {in}).added == 1);
  write(in / "good2.json", curated("GOOD2"));
  json bad = curated("BAD1");
  bad["year"] = 3000;
  write(in / "bad.json", bad);
  const auto r = index_paths(db, {in}, true);
  CHECK_FALSE(r.committed);
  CHECK(r.exit_code() == 2);
  CHECK_FALSE(IndexReader(db).get("GOOD2"));  // the whole run was refused
  CHECK(IndexReader(db).get("GOOD1"));        // and nothing already indexed was lost
}

TEST_CASE("the same study from PubMed and a curated record is merged into one record", "[index]") {
  const fs::path dir = temp_dir("merge"), db = dir / "index";
  // The curated fixture carries PMID 99000001, which the PubMed fixture also holds.
  const auto r = index_paths(db, {test_data() / "curated/TEST001.json", test_data() / "pubmed/small_set.xml"});
  INFO(r.to_json().dump());
  CHECK(r.merged == 1);
  IndexReader rd(db);
  CHECK_FALSE(rd.get("pubmed-99000001"));
  const auto s = rd.get("TEST001");
  REQUIRE(s);
  CHECK(s->abstract.size() == 4);                        // filled from PubMed
  CHECK(s->identifiers.doi == "10.9999/test.2019.001");  // filled from PubMed
  CHECK(s->outcomes.size() == 1);                        // curated facts kept
  CHECK(std::find(s->annotation.sources.begin(), s->annotation.sources.end(), "pubmed") != s->annotation.sources.end());
  // Running the same batch again changes nothing: the merge is recomputed and found identical.
  const auto again = index_paths(db, {test_data() / "curated/TEST001.json", test_data() / "pubmed/small_set.xml"});
  CHECK(again.added == 0);
  CHECK(again.updated == 0);
  CHECK(again.unchanged == 2);
  CHECK(again.changed_conclusions.empty());
  // The other order: PubMed first, then the curated record takes over.
  const fs::path db2 = dir / "index2";
  index_paths(db2, {test_data() / "pubmed/small_set.xml"});
  CHECK(IndexReader(db2).get("pubmed-99000001"));
  const auto r2 = index_paths(db2, {test_data() / "curated/TEST001.json"});
  CHECK(r2.merged == 1);
  IndexReader rd2(db2);
  CHECK_FALSE(rd2.get("pubmed-99000001"));
  CHECK(rd2.get("TEST001")->abstract.size() == 4);
}

TEST_CASE("PubMed deletions remove records and retractions are flagged", "[index]") {
  const fs::path dir = temp_dir("delete"), db = dir / "index";
  const std::string one =
      "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99000003</"
      "PMID><Article><Journal><JournalIssue><PubDate><Year>2010</Year>"
      "</PubDate></JournalIssue></Journal><ArticleTitle>Massage for low back "
      "pain</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>";
  std::ofstream(dir / "one.xml") << one;
  index_paths(db, {dir / "one.xml"});
  CHECK(IndexReader(db).get("pubmed-99000003"));
  const auto r = index_paths(db, {test_data() / "pubmed/small_set.xml"});
  CHECK(r.deleted == 1);
  CHECK_FALSE(IndexReader(db).get("pubmed-99000003"));
  CHECK(r.retracted == std::vector<std::string>{"pubmed-99000002"});
  CHECK(IndexReader(db).get("pubmed-99000002")->retracted);
}

TEST_CASE("a second writer fails with index_locked and changes nothing", "[index]") {
  const fs::path db = temp_dir("lock") / "index";
  IndexWriter first(db, vocabulary());
  try {
    IndexWriter second(db, vocabulary());
    FAIL("a second writer was allowed");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::index_locked);
    CHECK(std::string(e.what()).find("locked") != std::string::npos);
  }
}

TEST_CASE("a rebuild is written beside the live index and swapped in, readers follow", "[index]") {
  const fs::path dir = temp_dir("rebuild"), db = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "a.json", curated("OLD1"));
  index_paths(db, {in});
  IndexReader reader(db);
  CHECK(reader.get("OLD1"));
  fs::remove(in / "a.json");
  write(in / "b.json", curated("NEW1"));
  const auto r = index_paths(db, {in}, false, true);
  CHECK(r.committed);
  CHECK(reader.get("OLD1"));  // the open reader still answers from its generation
  CHECK(reader.refresh());
  CHECK_FALSE(reader.get("NEW1") == std::nullopt);
  CHECK_FALSE(reader.get("OLD1"));
  CHECK(reader.revision().rfind("gen-2:", 0) == 0);
  CHECK(fs::exists(db / "gen-1"));  // the previous generation, kept for evidence-index --rollback
  // The next rebuild keeps only the one it replaces.
  REQUIRE(index_paths(db, {in}, false, true).committed);
  CHECK_FALSE(fs::exists(db / "gen-1"));
  CHECK(fs::exists(db / "gen-2"));
  CHECK(fs::exists(db / "gen-3"));
}

TEST_CASE("missing inputs and unreadable indexes stop the run with a clear error", "[index]") {
  const fs::path db = temp_dir("missing") / "index";
  CHECK_THROWS_WITH(index_paths(db, {"/nonexistent/records"}), Catch::Contains("/nonexistent/records"));
  CHECK_THROWS_AS(IndexReader(temp_dir("empty")), Error);
}

TEST_CASE("the indexer command line: exit codes and the JSON report", "[index][cli]") {
  const fs::path dir = temp_dir("cli"), db = dir / "index", report = dir / "report.json";
  const std::string bin = EVIDENCE_INDEX_BIN;
  auto run = [&](const std::string& args) {
    return WEXITSTATUS(std::system((bin + " -q " + args + " > /dev/null 2>&1").c_str()));
  };
  CHECK(run("--db '" + db.string() + "' --report '" + report.string() + "' '" + (test_data() / "curated").string() +
            "'") == 0);
  std::ifstream in(report);
  const json j = json::parse(in);
  CHECK(j["added"] == 1);
  CHECK(j["exit_code"] == 0);
  std::ofstream(dir / "bad.json") << "{";
  CHECK(run("--db '" + db.string() + "' '" + (dir / "bad.json").string() + "'") == 1);
  CHECK(run("--db '" + db.string() + "'") == 2);                    // no paths
  CHECK(run("--db '" + db.string() + "' /nonexistent/path") == 2);  // nothing could be done
}

// The indexer is killed with SIGKILL at random moments; after each kill the index opens, passes
// xapian-check, and holds exactly the records of the last committed run (all or nothing).
// EVIDENCE_CRASH_ROUNDS sets the number of rounds (default 5; scripts/crash-campaign runs 20).
namespace {
int crash_rounds() {
  const char* e = std::getenv("EVIDENCE_CRASH_ROUNDS");
  return e && std::atoi(e) > 0 ? std::atoi(e) : 5;
}

std::string stub_target(const fs::path& db) {
  std::ifstream in(db / "XAPIANDB");
  std::string backend, target;
  in >> backend >> target;
  return target;
}

// Runs the indexer `rounds` times, killing it at a random moment unless it finished first, and
// checks the index after each round against the allowed record counts.
void crash_rounds_against(const fs::path& db, const std::vector<std::string>& args,
                          const std::set<std::uint64_t>& allowed, std::uint32_t seed, int& killed, int& completed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(50, 2500);
  const std::string bin = EVIDENCE_INDEX_BIN;
  for (int round = 0; round < crash_rounds(); ++round) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++killed;
    } else {
      ++completed;
    }
    IndexReader r(db);
    const auto n = r.doc_count();
    INFO("round " << round << ": " << n << " records in " << stub_target(db));
    CHECK(allowed.count(n) == 1);  // before or after a run's single commit, never in between
    const std::string check = "xapian-check '" + (db / stub_target(db)).string() + "' > /dev/null 2>&1";
    CHECK(std::system(check.c_str()) == 0);
  }
}
}  // namespace

TEST_CASE("kill -9 during a run leaves the last committed index intact", "[index][crash]") {
  const fs::path dir = temp_dir("crash"), db = dir / "index", batch = dir / "batch.jsonl";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 4000; ++i) out << curated("CRASH" + std::to_string(i)).dump() << "\n";
  }
  // A first committed state of 1 record.
  index_paths(db, {test_data() / "curated/TEST001.json"});
  int killed = 0, completed = 0;
  crash_rounds_against(db, {"-q", "--db", db.string(), batch.string()}, {1, 4001}, 20261127, killed, completed);
  CHECK(killed + completed == crash_rounds());
  WARN("incremental run: " << killed << " kills survived, " << completed << " runs completed");
}

TEST_CASE("kill -9 during a parallel rebuild leaves the previous generation live", "[index][crash]") {
  const fs::path dir = temp_dir("crash-rebuild"), db = dir / "index", batch = dir / "batch.jsonl";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 4000; ++i) out << curated("CRASH" + std::to_string(i)).dump() << "\n";
  }
  index_paths(db, {test_data() / "curated/TEST001.json"});
  int killed = 0, completed = 0;
  // A rebuild replaces the index with the batch alone: 1 record before its commit, 4000 after.
  crash_rounds_against(db, {"-q", "--rebuild", "--db", db.string(), batch.string()}, {1, 4000}, 20261128, killed,
                       completed);
  CHECK(killed + completed == crash_rounds());
  // Leftovers of killed rebuilds (parts, half-written generations) are cleaned by the next one,
  // which keeps the generation it replaced (for a rollback) and no other.
  REQUIRE(index_paths(db, {batch}, false, true).committed);
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(db))
    entries += e.path().filename().string().rfind("gen-", 0) == 0 ? 1 : 0;
  CHECK(entries == 2);
  WARN("rebuild: " << killed << " kills survived, " << completed << " runs completed");
}

TEST_CASE("a fresh index written by parallel parts equals one written by a single thread", "[index]") {
  const fs::path dir = temp_dir("parts"), batch = dir / "batch.jsonl";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 2500; ++i) {
      json j = curated("PART" + std::to_string(i));
      j["title"] = "Trial " + std::to_string(i) + (i % 3 == 0 ? " of acupuncture" : " of exercise");
      out << j.dump() << "\n";
    }
  }
  RunOptions one, two;
  one.db = dir / "one";
  two.db = dir / "two";
  one.inputs = two.inputs = {batch, source_dir() / "corpus"};
  one.threads = 1;
  two.threads = 2;
  const RunReport r1 = run_index(one), r2 = run_index(two);
  REQUIRE(r1.committed);
  REQUIRE(r2.committed);
  CHECK(r1.added == r2.added);
  CHECK(r1.changed_conclusions.size() == r2.changed_conclusions.size());
  IndexReader a(one.db), b(two.db);
  std::size_t curated = 0;
  for (const auto& e : fs::directory_iterator(evidence::test::source_dir() / "corpus"))
    curated += e.path().extension() == ".json";
  CHECK(a.doc_count() == 2500 + curated);
  CHECK(b.doc_count() == a.doc_count());
  CHECK(a.metadata("evidence:findings") == b.metadata("evidence:findings"));
  CHECK(b.metadata("evidence:vocabulary_version") == a.metadata("evidence:vocabulary_version"));
  for (const std::string id : {"PART0", "PART2499", "LBP001", "LBP101"}) {
    REQUIRE(b.get(id));
    CHECK(b.get(id)->title == a.get(id)->title);
  }
  CHECK(a.term_counts("XD") == b.term_counts("XD"));
  CHECK(a.term_counts("XI") == b.term_counts("XI"));
  CHECK_FALSE(b.spelling_suggestion("acupunctur").empty());
  // Nothing of the parts is left beside the generation.
  for (const auto& e : fs::directory_iterator(two.db))
    CHECK(e.path().filename().string().find(".part-") == std::string::npos);
}

// A full disk: the indexer runs with a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so its
// writes fail with EFBIG the way they fail with ENOSPC on a full disk. The limits put the failure
// at each step of a run (with these records, 1 MiB while adding in place; 1.5 and 2 MiB at a
// rebuild part's commit, where libxapian 1.4 ends the process through std::terminate; 3 MiB at
// the commit in place, likewise; the rest in a commit that Xapian reports, or in the merge).
TEST_CASE("a full disk fails the run cleanly and leaves the previous index intact", "[index][crash]") {
  const fs::path dir = temp_dir("fulldisk"), db = dir / "index", batch = dir / "batch.jsonl", err = dir / "stderr.txt";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 3000; ++i) out << curated("FULL" + std::to_string(i)).dump() << "\n";
  }
  index_paths(db, {test_data() / "curated/TEST001.json"});
  const std::string before_generation = stub_target(db);
  const auto entries = [&] {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(db)) names.insert(e.path().filename().string());
    return names;
  };
  const std::set<std::string> before_entries = entries();
  std::set<std::string> steps;  // where the runs failed
  // libxapian 1.4.22 leaks the tables of a compaction that a write error stops (LeakSanitizer's
  // stacks run through Xapian::Database::compact_, called by merge_parts); the process exits
  // right after. Leak checking is off for these children only, in sanitizer builds.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string child_asan = std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "detect_leaks=0";
  for (const long limit_kib : {1024L, 1536L, 2048L, 3072L}) {
    for (const bool rebuild : {false, true}) {
      const pid_t pid = fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        const int devnull = ::open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        std::signal(SIGXFSZ, SIG_IGN);
        setenv("ASAN_OPTIONS", child_asan.c_str(), 1);
        const auto bytes = static_cast<rlim_t>(limit_kib) * 1024;
        rlimit lim{bytes, bytes};
        setrlimit(RLIMIT_FSIZE, &lim);
        const std::string bin = EVIDENCE_INDEX_BIN;
        if (rebuild)
          execl(bin.c_str(), bin.c_str(), "-q", "--rebuild", "--db", db.c_str(), batch.c_str(),
                static_cast<char*>(nullptr));
        else
          execl(bin.c_str(), bin.c_str(), "-q", "--db", db.c_str(), batch.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      const std::string message = test::read_text(err);
      INFO("limit " << limit_kib << " KiB; rebuild: " << rebuild << "; stderr: " << message);
      REQUIRE(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 2);
      CHECK(message.find("io_error") != std::string::npos);
      CHECK(message.find("File too large") != std::string::npos);
      CHECK(message.find("terminate called") == std::string::npos);
      if (message.find("indexing record") != std::string::npos) steps.insert("adding");
      if (message.find("inside libxapian") != std::string::npos) steps.insert("terminate in commit");
      if (message.find("committing index") != std::string::npos) steps.insert("commit or merge");
      // The records committed before, and nothing of the run. (A commit that Xapian rolls back
      // still moves the revision number on: the generation is the same, the revision may not be.)
      IndexReader r(db);
      CHECK(r.doc_count() == 1);
      CHECK(r.get("TEST001"));
      CHECK_FALSE(r.get("FULL0"));
      CHECK(stub_target(db) == before_generation);
      CHECK(std::system(("xapian-check '" + (db / stub_target(db)).string() + "' > /dev/null 2>&1").c_str()) == 0);
      CHECK(entries() == before_entries);  // no generation, part or merge of the failed run left behind
    }
  }
  // The limits reached every step; were the records larger or smaller, this says which to move.
  CHECK(steps == std::set<std::string>{"adding", "terminate in commit", "commit or merge"});
  // With room again, the same run succeeds.
  CHECK(index_paths(db, {batch}).committed);
  CHECK(IndexReader(db).doc_count() == 3001);
}

TEST_CASE("strict mode commits nothing when two records share an id", "[index][hardening]") {
  const fs::path dir = temp_dir("strict-dup"), db = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "a.json", curated("GOOD1"));
  CHECK(index_paths(db, {in}).added == 1);
  const std::string before = IndexReader(db).revision();
  write(in / "b.json", curated("DUP1"));
  json second = curated("DUP1");
  second["title"] = "Another record that claims the same id";
  write(in / "c.json", second);
  const auto r = index_paths(db, {in}, true);
  CHECK_FALSE(r.committed);
  CHECK(r.exit_code() == 2);
  bool named = false;
  for (const auto& p : r.problems)
    named = named || (p.record == "DUP1" && p.field == "/id" && p.file == (in / "c.json").string());
  CHECK(named);
  CHECK_FALSE(IndexReader(db).get("DUP1"));  // nothing of the run was committed
  CHECK(IndexReader(db).revision() == before);
  // Without --strict the first record with the id is indexed and the run exits 1.
  const auto lenient = index_paths(db, {in});
  CHECK(lenient.committed);
  CHECK(lenient.exit_code() == 1);
  CHECK(IndexReader(db).get("DUP1"));
}

TEST_CASE("records carry their file relative to the input directory, never the machine's path", "[index][hardening]") {
  const fs::path dir = temp_dir("shown-files"), db = dir / "index", in = dir / "in";
  fs::create_directories(in / "sub");
  write(in / "sub" / "a.json", curated("SHOWN1"));
  write(dir / "b.json", curated("SHOWN2"));
  const auto r = index_paths(db, {in, dir / "b.json"});
  REQUIRE(r.added == 2);
  IndexReader reader(db);
  CHECK(reader.get("SHOWN1")->annotation.files == std::vector<std::string>{"sub/a.json"});
  CHECK(reader.get("SHOWN2")->annotation.files == std::vector<std::string>{"b.json"});
}

namespace {
// What collect_inputs() reports for the paths, run as the unprivileged user "nobody" when the
// test runs as root (root reads any directory, whatever its mode).
std::vector<std::string> unreadable_dirs_as_nobody(const std::vector<fs::path>& paths, std::size_t& files) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    std::vector<RecordProblem> unreadable;
    std::string out = std::to_string(collect_inputs(paths, unreadable).size()) + "\n";
    for (const auto& p : unreadable) out += p.file + "\t" + p.message + "\n";
    const ssize_t written = ::write(fds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 4);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  files = std::stoul(line);
  std::vector<std::string> out;
  while (std::getline(lines, line)) out.push_back(line);
  return out;
}
}  // namespace

TEST_CASE("a sub-directory that cannot be read is reported, not silently left out", "[index][hardening]") {
  const fs::path dir = temp_dir("unreadable-dir"), in = dir / "in";
  fs::create_directories(in / "a");
  fs::create_directories(in / "locked");
  fs::create_directories(in / "z");
  write(in / "a" / "1.json", curated("READ1"));
  write(in / "locked" / "2.json", curated("LOCKED2"));
  write(in / "z" / "3.json", curated("READ3"));
  // Others may enter the test's directories (the walk runs as "nobody" under root), but not "locked".
  for (const fs::path& p : {dir, in, in / "a", in / "z"})
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
  for (const fs::path& p : {in / "a" / "1.json", in / "z" / "3.json"})
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  fs::permissions(in / "locked", fs::perms::none);
  std::size_t files = 0;
  const auto problems = unreadable_dirs_as_nobody({in}, files);
  fs::permissions(in / "locked", fs::perms::owner_all);
  CHECK(files == 2);  // the readable directories on both sides of the locked one
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind((in / "locked").string() + "\tcannot read directory: Permission denied", 0) == 0);
}

TEST_CASE("a first run makes its index visible only when it commits, never empty before", "[index][hardening]") {
  const fs::path db = temp_dir("first-run") / "index";
  {
    IndexWriter writer(db, vocabulary());
    writer.put(study_from_json(curated("FIRST1")));
    // Before the commit a reader finds no index at all, not an empty one that answers nothing.
    try {
      IndexReader early(db);
      FAIL("a reader opened the index before the first run committed");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::index_unavailable);
    }
    writer.commit();
    CHECK(IndexReader(db).doc_count() == 1);
    // The writer goes on as an ordinary writer of the live generation.
    writer.put(study_from_json(curated("FIRST2")));
    writer.commit();
  }
  CHECK(IndexReader(db).doc_count() == 2);
  // A first run cancelled while writing (strict mode, two records with one id) leaves no index.
  const fs::path dir = temp_dir("first-run-strict"), db2 = dir / "index", in = dir / "in";
  fs::create_directories(in);
  write(in / "a.json", curated("GOOD1"));
  json twin = curated("GOOD1");
  twin["title"] = "Another record that claims the same id";
  write(in / "b.json", twin);
  CHECK_FALSE(index_paths(db2, {in}, true).committed);
  CHECK_THROWS_AS(IndexReader(db2), Error);
}

TEST_CASE("a file over the input bound is skipped with a report and the files beside it are indexed",
          "[index][hardening]") {
  const fs::path dir = temp_dir("input-bound-run"), in = dir / "in";
  fs::create_directories(in);
  write(in / "good.json", curated("BOUND1"));
  REQUIRE(std::system(("head -c 4194304 /dev/zero | gzip -c > '" + (in / "bomb.xml.gz").string() + "'").c_str()) == 0);
  RunOptions o;
  o.db = dir / "index";
  o.inputs = {in};
  o.max_input_bytes = std::size_t{1} << 20;
  const RunReport r = run_index(o);
  CHECK(r.added == 1);
  CHECK(r.skipped == 1);
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].file == (in / "bomb.xml.gz").string());
  CHECK_THAT(r.problems[0].message, Catch::Contains("decompresses to more than 1 MiB"));
  // The path is said once, by the problem's file, not again in its message.
  CHECK(r.problems[0].message.find(in.string()) == std::string::npos);
}
