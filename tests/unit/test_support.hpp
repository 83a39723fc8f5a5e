#pragma once
// Shared helpers for the test suite: temporary directories, the corpus index built once, and
// access to ../shared data (tests that need it skip with a message when it is absent).
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "evidence/api.hpp"
#include "evidence/record_validator.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence::test {

std::filesystem::path source_dir();
std::filesystem::path test_data();
// ../shared/data, or empty when it is not there.
std::filesystem::path shared_data();
std::filesystem::path shared_reference();

// A fresh directory under the system temp dir, removed at exit.
std::filesystem::path temp_dir(const std::string& name);

const Vocabulary& vocabulary();
// The record validator over schema/study.schema.json and the vocabulary, built once.
const RecordValidator& validator();
// An index of corpus/ built once per test run (read-only for tests).
const std::filesystem::path& corpus_index();

std::string read_text(const std::filesystem::path& p);

// The real server, in-process on an ephemeral loopback port, over the given index; stopped and
// joined by the destructor.
struct TestServer {
  std::filesystem::path db;
  std::unique_ptr<ApiServer> server;
  std::thread thread;
  int port = 0;
  explicit TestServer(std::filesystem::path index, std::filesystem::path web = source_dir() / "web",
                      int read_timeout = 10);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  httplib::Client client() const;
};

// Serves an httplib server (a replay of an outside service: E-utilities, ClinicalTrials.gov) on an
// ephemeral loopback port from its own thread, from construction, once its routes are set, until
// destruction, which stops and joins it. Throws std::runtime_error when no port can be bound.
class LoopbackServing {
 public:
  explicit LoopbackServing(httplib::Server& server);
  ~LoopbackServing();
  LoopbackServing(const LoopbackServing&) = delete;
  LoopbackServing& operator=(const LoopbackServing&) = delete;
  int port() const { return port_; }

 private:
  httplib::Server& server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace evidence::test

// Skips the current test with a clear message when ../shared is absent.
#define REQUIRE_SHARED_DATA()                                                                 \
  do {                                                                                        \
    if (evidence::test::shared_data().empty()) {                                              \
      WARN(                                                                                   \
          "skipped: ../shared/data is not present next to the checkout (tests that read the " \
          "real records need it)");                                                           \
      return;                                                                                 \
    }                                                                                         \
  } while (0)
