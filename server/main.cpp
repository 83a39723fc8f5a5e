// evidence-server: serves the JSON API and the web page over an index.
// The one translation point from exceptions to exit codes for the server.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <pthread.h>
#include <thread>

#include "evidence/data_dir.hpp"
#include "evidence/errors.hpp"
#include "evidence/server.hpp"

namespace {
std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}
}  // namespace

int main(int argc, char** argv) try {
  // glibc raises its mmap and trim thresholds to the size of the largest block freed (up to 32 and
  // 64 MiB), so after one large export every arena kept tens of MiB of free memory at its top for
  // good: 32 simultaneous exports of 5,000 records left the server at 5.6 GB (issue 20). Fixed
  // thresholds stop that: blocks over 512 KiB (answer bodies) are mapped and unmapped, and an
  // arena gives back a free top over 128 KiB with no padding kept (a non-main arena's top is
  // given back only here, never by malloc_trim: 1 MiB per arena left 6 MB more after a burst).
  // The workers also trim after large answers (server.cpp).
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_TOP_PAD, 0);
  evidence::ServerOptions opt;
  const std::filesystem::path& data = evidence::data_dir();
  std::string db = env_or("EVIDENCE_DB", evidence::default_index_dir().string());
  std::string web = env_or("EVIDENCE_WEB", (data / "web").string());
  opt.host = env_or("EVIDENCE_HOST", "127.0.0.1");
  opt.port = std::atoi(env_or("EVIDENCE_PORT", "8080").c_str());
  bool quiet = false;
  CLI::App app{
      "evidence-server: the backpain-evidence JSON API and web page.\n\n"
      "Example:\n  evidence-server --db var/index --port 8080\n\n"
      "Environment: EVIDENCE_DB, EVIDENCE_WEB, EVIDENCE_HOST, EVIDENCE_PORT (flags win).\n\n"
      "Data folder (page, vocabulary, OpenAPI description): " +
      data.string()};
  app.add_option("--db", db, "index directory written by evidence-index")->capture_default_str();
  app.add_option("--web", web, "directory of the web page")->capture_default_str();
  app.add_option("--host", opt.host, "address to listen on (127.0.0.1 unless told otherwise)")->capture_default_str();
  app.add_option("--port", opt.port, "port (0 picks a free one and prints it)")->capture_default_str();
  app.add_option("--threads", opt.threads,
                 "worker threads (default: 8 per core, at least 64: one per keep-alive client)");
  app.add_option("--export-slots", opt.export_slots,
                 "streamed exports made at once; one more is answered 503 busy (default: half the worker threads)");
  app.add_option("--cache-mb", opt.cache_mb,
                 "memory for rendered search and summary responses, per index revision (0: no cache)")
      ->capture_default_str();
  app.add_option("--vocabulary", opt.vocabulary,
                 "vocabulary file (default: schema/vocabulary.json of the data folder)");
  app.add_flag("-q,--quiet", quiet, "no per-request log lines");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  opt.db = db;
  opt.web = web;
  opt.log_requests = !quiet;
  // SIGTERM/SIGINT are taken by one thread with sigwait, which stops the server cleanly.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  evidence::ApiServer server(opt);
  const int port = server.bind();
  std::printf("evidence-server listening on http://%s:%d (index %s)\n", opt.host.c_str(), port, db.c_str());
  std::fflush(stdout);
  std::thread waiter([&server, set] {
    int sig = 0;
    sigwait(&set, &sig);
    std::fprintf(stderr, "evidence-server: signal %d, shutting down\n", sig);
    server.stop();
  });
  server.run();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
} catch (const evidence::Error& e) {
  std::fprintf(stderr, "evidence-server: %s (%s)\n", e.what(), evidence::error_code_name(e.code()));
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "evidence-server: unexpected error: %s\n", e.what());
  return 2;
}
