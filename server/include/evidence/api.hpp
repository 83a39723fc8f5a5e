#pragma once
// The HTTP server: JSON API and the web page over the core library (cpp-httplib 0.11.4).
// One reader Database per worker thread, refreshed per request, so a re-index or a swapped-in
// rebuild is live without a restart. The constructor throws evidence::Error when the vocabulary
// cannot be loaded; a missing index is not fatal (requests get 503 until it appears).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "evidence/exports.hpp"
#include "evidence/params.hpp"
#include "evidence/search.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

struct ServerOptions {
  std::filesystem::path db;
  std::filesystem::path web;         // static files served at /
  std::filesystem::path vocabulary;  // default: <source>/schema/vocabulary.json
  std::filesystem::path openapi;     // default: <source>/docs/openapi.json
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0: pick a free port
  unsigned threads = 0;              // 0: 8 x hardware threads, at least 64 (one per keep-alive client)
  bool log_requests = true;
  int read_timeout_seconds = 10;     // a client that sends nothing this long is disconnected
  std::size_t cache_mb = 64;         // rendered /api/search and /api/summary responses kept (0: none)
};

class ApiServer {
 public:
  explicit ApiServer(ServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket; returns the port (useful with port 0). Throws Error(io_error).
  int bind();
  // Serves until stop(); returns when the server has stopped.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace evidence
