#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <unistd.h>

#include "evidence/index_run.hpp"

namespace evidence::test {

namespace fs = std::filesystem;

fs::path source_dir() { return EVIDENCE_SOURCE_DIR; }
fs::path test_data() { return EVIDENCE_TEST_DATA; }

fs::path shared_data() {
  const fs::path p = EVIDENCE_SHARED_DATA;
  return fs::is_directory(p) ? fs::canonical(p) : fs::path();
}

fs::path shared_reference() {
  const fs::path p = EVIDENCE_SHARED_REFERENCE;
  return fs::is_directory(p) ? fs::canonical(p) : fs::path();
}

namespace {
struct TempRoot {
  fs::path root;
  TempRoot() {
    root = fs::temp_directory_path() / ("evidence-tests-" + std::to_string(::getpid()));
    fs::create_directories(root);
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};
TempRoot& temp_root() {
  static TempRoot r;
  return r;
}
}  // namespace

fs::path temp_dir(const std::string& name) {
  static int counter = 0;
  const fs::path p = temp_root().root / (name + "-" + std::to_string(++counter));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

const Vocabulary& vocabulary() {
  static const Vocabulary v = Vocabulary::load(source_dir() / "schema/vocabulary.json");
  return v;
}

const RecordValidator& validator() {
  static const RecordValidator v = RecordValidator::from_file(source_dir() / "schema/study.schema.json", vocabulary());
  return v;
}

const fs::path& corpus_index() {
  static const fs::path db = [] {
    const fs::path d = temp_dir("corpus-index") / "index";
    RunOptions opt;
    opt.db = d;
    opt.inputs = {source_dir() / "corpus"};
    const RunReport r = run_index(opt);
    if (!r.committed || r.skipped != 0) throw std::runtime_error("corpus did not index cleanly: " + r.to_json().dump());
    return d;
  }();
  return db;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TestServer::TestServer(fs::path index, fs::path web, int read_timeout) : db(std::move(index)) {
  ServerOptions o;
  o.read_timeout_seconds = read_timeout;
  o.db = db;
  o.web = std::move(web);
  o.port = 0;
  o.threads = 8;
  o.log_requests = false;
  server = std::make_unique<ApiServer>(o);
  port = server->bind();
  thread = std::thread([this] { server->run(); });
}

TestServer::~TestServer() {
  server->stop();
  thread.join();
}

httplib::Client TestServer::client() const {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  return c;
}

LoopbackServing::LoopbackServing(httplib::Server& server) : server_(server) {
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("the test server could not bind a loopback port");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LoopbackServing::~LoopbackServing() {
  server_.stop();
  thread_.join();
}

}  // namespace evidence::test
