#pragma once
// The HTTP server: the JSON API and the web page over the core library (cpp-httplib 0.11.4).
// Each worker thread has its own index reader, refreshed per request, so a re-index or a
// swapped-in rebuild is live without a restart. The routes are in routes.hpp, the handlers in
// handlers.hpp; how errors become HTTP answers is in context.hpp (http_error).
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace evidence {

struct ServerOptions {
  std::filesystem::path db;
  std::filesystem::path web;         // static files served at /
  std::filesystem::path vocabulary;  // default: schema/vocabulary.json of data_dir()
  std::filesystem::path openapi;     // default: docs/openapi.json of data_dir()
  std::string host = "127.0.0.1";
  int port = 8080;       // 0: pick a free port
  unsigned threads = 0;  // 0: 8 x hardware threads, at least 64 (one per keep-alive client)
  // Streamed exports being made or written at once; one more is answered 503 "busy". Each holds
  // a worker while its client reads (a client that never reads: up to the write timeout per
  // write), so this keeps workers for everyone else. 0: half the worker threads.
  unsigned export_slots = 0;
  bool log_requests = true;
  int read_timeout_seconds = 10;  // a client that sends nothing this long is disconnected
  std::size_t cache_mb = 64;      // rendered /api/search and /api/summary responses kept (0: none)
};

// The worker threads a server runs: options.threads, else 8 per hardware thread, at least 64.
unsigned worker_threads(const ServerOptions& options);

class ApiServer {
 public:
  // Loads the vocabulary and the OpenAPI description and sets the server up; does not listen
  // yet. Throws evidence::Error when the vocabulary cannot be loaded or the OpenAPI file is not
  // JSON. A missing index is not fatal: requests that need it get 503 until it appears.
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
