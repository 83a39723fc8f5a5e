// The clinical audit as a report: every question of tests/audit/questions.json asked of the
// engine over HTTP (a server started in this process on an index of the given records, or a
// running server with --url), each answer checked by the same checker as the [audit] tests
// (tests/unit/audit_check.hpp). Prints one line per question, PASS or FAIL with its problems,
// then the totals. Exit status 0 whenever the report was produced, whatever it found (it
// reports; the tests decide); 2 when it could not run.
//   audit_report [PATH...]          index PATH... (default corpus/) into a temporary directory
//   audit_report --db DIR           use an existing index
//   audit_report --url http://127.0.0.1:8080 --corpus corpus
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "audit_check.hpp"
#include "evidence/api.hpp"
#include "evidence/errors.hpp"
#include "evidence/index_run.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_file(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot read " + p.string());
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// Removes the temporary index when the report is done.
struct TempIndex {
  fs::path dir;
  ~TempIndex() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// The server in this process, stopped and joined however the report ends.
struct InProcessServer {
  std::unique_ptr<evidence::ApiServer> server;
  std::thread thread;
  int start(const evidence::ServerOptions& o) {
    server = std::make_unique<evidence::ApiServer>(o);
    const int port = server->bind();
    thread = std::thread([this] { server->run(); });
    return port;
  }
  ~InProcessServer() {
    if (!thread.joinable()) return;
    server->stop();
    thread.join();
  }
};

}  // namespace

int main(int argc, char** argv) try {
  const fs::path source = EVIDENCE_SOURCE_DIR;
  std::vector<std::string> inputs;
  std::string db, url, corpus, questions_file = (source / "tests/audit/questions.json").string(),
                               vocabulary_file = (source / "schema/vocabulary.json").string();
  bool quiet = false;
  CLI::App app{"audit_report: the clinical audit (tests/audit/) over the engine, one line per question"};
  app.add_option("paths", inputs, "records to index into a temporary index (default: corpus/)");
  app.add_option("--db", db, "use this existing index instead of indexing PATH...");
  app.add_option("--url", url, "ask this running server (http://HOST:PORT) instead of starting one");
  app.add_option(
      "--corpus", corpus,
      "curated records the checker compares with (default: the first PATH that is a directory, else corpus/)");
  app.add_option("--questions", questions_file, "the audit set");
  app.add_option("--vocabulary", vocabulary_file, "vocabulary");
  app.add_flag("-q,--quiet", quiet, "print failing questions' problems only as counts");
  CLI11_PARSE(app, argc, argv);
  if (!db.empty() && !inputs.empty()) throw std::runtime_error("give either --db or PATH..., not both");
  if (!url.empty() && (!db.empty() || !inputs.empty()))
    throw std::runtime_error("--url asks a running server: --db and PATH... do not apply");

  if (corpus.empty()) {
    for (const auto& p : inputs)
      if (fs::is_directory(p)) {
        corpus = p;
        break;
      }
    if (corpus.empty()) corpus = (source / "corpus").string();
  }
  const auto vocabulary = evidence::Vocabulary::load(vocabulary_file);
  const auto records = evidence::test::load_audit_records(corpus);
  const json questions = json::parse(read_file(questions_file));
  const evidence::test::AuditContext ctx{records, vocabulary};

  TempIndex temp;
  InProcessServer in_process;
  if (url.empty()) {
    if (db.empty()) {
      if (inputs.empty()) inputs.push_back((source / "corpus").string());
      temp.dir = fs::temp_directory_path() / ("audit-report-" + std::to_string(::getpid()));
      fs::remove_all(temp.dir);
      evidence::RunOptions opt;
      opt.db = temp.dir / "index";
      opt.vocabulary_file = vocabulary_file;
      for (const auto& p : inputs) opt.inputs.emplace_back(p);
      const evidence::RunReport r = evidence::run_index(opt);
      if (!r.committed) throw std::runtime_error("indexing failed: " + r.to_json().dump());
      std::printf("indexed %zu records from %zu files (%zu skipped) into %s\n", r.added + r.updated + r.unchanged,
                  r.files, r.skipped, opt.db.c_str());
      db = opt.db.string();
    }
    evidence::ServerOptions o;
    o.db = db;
    o.web = source / "web";
    o.vocabulary = vocabulary_file;
    o.port = 0;
    o.threads = 4;
    o.log_requests = false;
    o.cache_mb = 0;
    url = "http://127.0.0.1:" + std::to_string(in_process.start(o));
  }

  evidence::test::AuditTally tally;
  {
    httplib::Client client(url);
    client.set_read_timeout(60, 0);
    for (const json& q : questions) {
      const std::string id = q.value("id", "?");
      const std::string path = evidence::test::audit_request_path(q);
      std::vector<evidence::test::AuditProblem> problems;
      auto res = client.Get(path.c_str());
      if (!res || res->status != 200)
        problems.push_back({id, "", "findings", path + " answered " + (res ? std::to_string(res->status) : "nothing"),
                            evidence::test::ProblemFamily::expectation});
      else if (const json answer = json::parse(res->body, nullptr, false); answer.is_discarded())
        problems.push_back({id, "", "findings", path + " answered with text that is not JSON",
                            evidence::test::ProblemFamily::expectation});
      else
        problems = evidence::test::audit_answer(ctx, q, answer);
      tally.add(problems);
      std::printf("%s %s \"%s\"", problems.empty() ? "PASS" : "FAIL", id.c_str(), q.value("q", "").c_str());
      if (!problems.empty()) std::printf(" (%zu problems)", problems.size());
      std::printf("\n");
      if (!quiet)
        for (const auto& p : problems)
          std::printf("    %s %s\n",
                      p.family == evidence::test::ProblemFamily::invariant ? "invariant  " : "expectation",
                      p.to_string().c_str());
    }
  }
  std::printf("\n%s", tally.report().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "audit_report: %s\n", e.what());
  return 2;
}
