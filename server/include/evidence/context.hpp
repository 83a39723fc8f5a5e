#pragma once
// What an ApiServer shares with its handlers, and the two ways a handler answers: send_json()
// with a result, or by throwing evidence::Error. The server's exception handler is the one place
// where an error becomes an HTTP answer, through http_error(). Defined in server.cpp.
#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "evidence/metrics.hpp"
#include "evidence/response_cache.hpp"
#include "evidence/server.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

// A counting limit on streamed exports in flight. try_take() returns a token that holds one slot
// until the token and every copy of it are gone (the export's content provider keeps one), or
// nullptr when all are taken. Thread-safe; throws nothing but std::bad_alloc.
class ExportSlots {
 public:
  explicit ExportSlots(unsigned limit) : limit_(static_cast<int>(limit)) {}
  std::shared_ptr<void> try_take();
  unsigned limit() const noexcept { return static_cast<unsigned>(limit_); }

 private:
  int limit_;
  std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
};

// One per server, used by all its worker threads at once: everything here is read-only after
// construction or thread-safe (the cache, the metrics, reader()).
class ApiContext {
 public:
  // Fills in the default vocabulary and OpenAPI paths and loads both. Throws Error when the
  // vocabulary cannot be loaded, Error(invalid_argument) when the OpenAPI file is not JSON.
  explicit ApiContext(ServerOptions server_options);
  ApiContext(const ApiContext&) = delete;
  ApiContext& operator=(const ApiContext&) = delete;

  // This worker thread's reader of options.db, refreshed to the newest commit (opened afresh
  // when the index was removed or replaced). Xapian databases are not thread-safe, hence one per
  // thread. Throws Error(index_unavailable) while there is no index.
  IndexReader& reader();
  // Closes this worker thread's reader (an idle worker calls it), so the files of a generation a
  // rebuild has deleted are not held open; the next reader() opens the index afresh.
  void release_reader() noexcept;

  const ServerOptions options;
  const Vocabulary vocabulary;
  const nlohmann::json openapi;  // docs/openapi.json; null when none is installed
  // web/error.html, the branded error page with a search box, with {{status}}, {{title}} and
  // {{message}} to fill in; empty when the web directory has none (errors are JSON then).
  const std::string error_page;
  ResponseCache cache;  // rendered /api/search and /api/summary bodies
  RequestMetrics metrics;
  ExportSlots export_slots;

 private:
  const std::uint64_t serial_;  // tells this server's readers from another's in the same thread
};

// How an evidence::Error is answered.
struct HttpError {
  int status;
  const char* code;     // the stable code of the JSON error body
  const char* message;  // nullptr: the exception's own message, written for the client
  bool retry_after;     // the condition passes: "Retry-After: 5"
};
// invalid_argument: 400 bad_parameter; query_too_long, query_too_complex: 400 with their names;
// not_found: 404; index_unavailable, index_locked: 503 index_unavailable with Retry-After;
// index_corrupt: 503 index_unavailable; io_error, internal: 500 internal. The index and internal
// errors get a fixed message, so no file path or library message reaches a client.
HttpError http_error(ErrorCode code) noexcept;

// The body as compact JSON (invalid UTF-8 replaced), with the given status.
void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
// {"error": {"code": code, "message": message}} with the given status.
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);

// A file of the web directory as an HTML page (200). Throws Error(not_found) when it is missing.
void send_page(const ApiContext& context, httplib::Response& res, const char* file);

// The branded error page for a person at a page path: what happened in words and a search box,
// with the given status. Returns false (nothing sent) when there is no error page installed.
bool send_error_page(const ApiContext& context, httplib::Response& res, int status);

}  // namespace evidence
