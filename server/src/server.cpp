#include "evidence/server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "evidence/context.hpp"
#include "evidence/data_dir.hpp"
#include "evidence/params.hpp"
#include "evidence/routes.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::atomic<std::uint64_t> next_context_serial{1};

// When the current request of this worker thread arrived, for the logger's latency.
thread_local std::chrono::steady_clock::time_point request_start;

ServerOptions with_default_paths(ServerOptions options) {
  const fs::path& data = data_dir();
  if (options.vocabulary.empty()) options.vocabulary = data / "schema/vocabulary.json";
  if (options.openapi.empty()) options.openapi = data / "docs/openapi.json";
  return options;
}

// The whole file, or "" when it cannot be read.
std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

json load_openapi(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return json();
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_argument, file.string() + ": not valid JSON: " + e.what());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The context shared with the handlers

ApiContext::ApiContext(ServerOptions server_options)
    : options(with_default_paths(std::move(server_options))),
      vocabulary(Vocabulary::load(options.vocabulary)),
      openapi(load_openapi(options.openapi)),
      error_page(options.web.empty() ? std::string() : read_text(options.web / "error.html")),
      cache(options.cache_mb * 1024 * 1024),
      serial_(next_context_serial++) {}

IndexReader& ApiContext::reader() {
  struct Slot {
    std::uint64_t serial = 0;
    std::unique_ptr<IndexReader> reader;
  };
  thread_local Slot slot;
  if (slot.serial != serial_ || !slot.reader) {
    slot.reader.reset();
    slot.reader = std::make_unique<IndexReader>(options.db);
    slot.serial = serial_;
  } else {
    try {
      slot.reader->refresh();
    } catch (const Error&) {
      slot.reader.reset();  // e.g. the index was removed: try afresh next time
      slot.reader = std::make_unique<IndexReader>(options.db);
    }
  }
  return *slot.reader;
}

HttpError http_error(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return {400, "bad_parameter", nullptr, false};
    case ErrorCode::query_too_long: return {400, "query_too_long", nullptr, false};
    case ErrorCode::query_too_complex: return {400, "query_too_complex", nullptr, false};
    case ErrorCode::not_found: return {404, "not_found", nullptr, false};
    case ErrorCode::index_unavailable:
    case ErrorCode::index_locked:
      return {503, "index_unavailable", "the index is not available right now; try again shortly", true};
    case ErrorCode::index_corrupt:
      return {503, "index_unavailable", "the index cannot be read; the maintainers have to re-index", false};
    case ErrorCode::io_error:
    case ErrorCode::remote_unavailable:  // the server calls no remote service; only the fetcher does
    case ErrorCode::remote_bad_answer:
    case ErrorCode::internal: break;
  }
  return {500, "internal", "internal error", false};
}

void send_json(httplib::Response& res, const json& body, int status) {
  res.status = status;
  // No charset parameter: JSON is UTF-8 by definition (RFC 8259), and cpp-httplib 0.11.4 gzips
  // only the exact type "application/json".
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, {{"error", {{"code", code}, {"message", message}}}}, status);
}

void send_page(const ApiContext& ctx, httplib::Response& res, const char* file) {
  std::string body = ctx.options.web.empty() ? std::string() : read_text(ctx.options.web / file);
  if (body.empty()) throw Error(ErrorCode::not_found, "no such page");
  res.status = 200;
  res.set_content(std::move(body), "text/html; charset=utf-8");
}

namespace {

// What a person is told on the error page, by status: what happened, in words about what they
// did (a mistyped address) or about us (the index is unavailable), never a code or an internal.
struct PageError {
  const char* title;
  const char* message;
};

PageError page_error(int status) noexcept {
  switch (status) {
    case 404:
      return {"Page not found",
              "There is no page at this address: the link may be mistyped or out of date. "
              "Ask your question below, or go to the start page."};
    case 400:
      return {"This address could not be read",
              "The address has a mistake in it, such as a broken character. "
              "Ask your question below, or go to the start page."};
    case 503:
      return {"The evidence is not available right now",
              "The knowledge base is being updated or cannot be read at the moment. Try again in a minute."};
    default:
      return {"Something went wrong on our side",
              "This page could not be shown. Try again in a minute, or ask your question below."};
  }
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

bool send_error_page(const ApiContext& ctx, httplib::Response& res, int status) {
  if (ctx.error_page.empty()) return false;
  // The fields come from the fixed table above, never from the request: nothing to escape.
  const PageError what = page_error(status);
  std::string body = ctx.error_page;
  replace_all(body, "{{status}}", std::to_string(status));
  replace_all(body, "{{title}}", what.title);
  replace_all(body, "{{message}}", what.message);
  res.status = status;
  res.set_content(std::move(body), "text/html; charset=utf-8");
  return true;
}

// ---------------------------------------------------------------------------------------------
// The server around the routes

namespace {

void send_http_error(httplib::Response& res, ErrorCode code, const char* what) {
  const HttpError answer = http_error(code);
  if (answer.status == 500) std::fprintf(stderr, "internal error: %s\n", what);
  send_error(res, answer.status, answer.code, answer.message ? answer.message : what);
  if (answer.retry_after) res.set_header("Retry-After", "5");
}

// The one translation point from exceptions to HTTP: stable codes, no internals. At a page path
// (not the API) a person gets the branded error page with the same status instead.
void answer_exception(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
                      std::exception_ptr thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const Error& e) {
    send_http_error(res, e.code(), e.what());
  } catch (const std::exception& e) {
    send_http_error(res, ErrorCode::internal, e.what());
  } catch (...) {
    send_error(res, 500, "internal", "internal error");
  }
  if (!is_api_path(req.path)) send_error_page(ctx, res, res.status);
}

// Refusals before routing: methods other than GET, HEAD and OPTIONS (the API is read-only),
// request bodies, malformed percent-encoding; OPTIONS is answered here (CORS preflight).
httplib::Server::HandlerResponse screen_request(const ApiContext& ctx, const httplib::Request& req,
                                                httplib::Response& res) {
  request_start = std::chrono::steady_clock::now();
  if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
    send_error(res, 405, "method_not_allowed", "the API is read-only; use GET");
    res.set_header("Allow", "GET, HEAD, OPTIONS");
    return httplib::Server::HandlerResponse::Handled;
  }
  // cpp-httplib does not read a GET's body: refuse a large one, and close the connection so
  // unread body bytes can never be parsed as a next request.
  if (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") {
    const std::string len = req.get_header_value("Content-Length");
    const bool large =
        len.size() > 5 || len.find_first_not_of("0123456789") != std::string::npos || std::stoul(len) > 64 * 1024;
    if (large)
      send_error(res, 413, "payload_too_large", "request body too large (the API takes no bodies)");
    else
      send_error(res, 400, "bad_request", "GET requests carry no body");
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.method == "OPTIONS") {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "If-None-Match, Content-Type");
    return httplib::Server::HandlerResponse::Handled;
  }
  // cpp-httplib's own decoder is lenient; a malformed escape never reaches a handler.
  if (const auto q = req.target.find('?'); q != std::string::npos) {
    std::string decoded;
    if (!percent_decode(req.target.substr(q + 1), decoded)) {
      if (is_api_path(req.path) || !send_error_page(ctx, res, 400))
        send_error(res, 400, "bad_encoding", "malformed percent-encoding in the query string");
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

// Errors cpp-httplib answers itself (no route, URI or headers too long, a malformed request)
// get a JSON body too, or the branded error page at a page path; an error a handler already
// answered keeps its body. cpp-httplib refuses an over-long URI or header before it parses the
// request line, so those errors have no path and stay JSON.
void answer_library_error(const ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  if (!req.path.empty() && !is_api_path(req.path) && send_error_page(ctx, res, res.status)) return;
  switch (res.status) {
    case 404: send_error(res, 404, "not_found", "not found"); break;
    case 413: send_error(res, 413, "payload_too_large", "request body too large"); break;
    case 414: send_error(res, 414, "uri_too_long", "request URI too long"); break;
    case 431: send_error(res, 431, "headers_too_large", "request headers too large"); break;
    case 400: send_error(res, 400, "bad_request", "malformed request"); break;
    default: send_error(res, res.status, "error", "request failed");
  }
}

void configure(httplib::Server& svr, const ServerOptions& opt) {
  // cpp-httplib holds a worker for the life of a keep-alive connection, so the pool must be as
  // large as the number of clients that keep connections open (64 in the load benchmark);
  // with 8 workers, 56 of 64 connections queued and p99 rose above a second.
  const unsigned threads = opt.threads ? opt.threads : std::max(64u, 8 * std::thread::hardware_concurrency());
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Keep-alive connections serve many requests; TCP_NODELAY avoids the ~40 ms Nagle stall.
  svr.set_keep_alive_max_count(1000);
  svr.set_tcp_nodelay(true);
  svr.set_read_timeout(opt.read_timeout_seconds, 0);
  svr.set_write_timeout(10, 0);
  svr.set_payload_max_length(64 * 1024);  // the API is read-only: GET requests carry no body
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"Referrer-Policy", "no-referrer"},
                           {"X-Frame-Options", "DENY"},
                           {"Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
                           {"Access-Control-Allow-Origin", "*"}});
  if (!opt.web.empty() && fs::is_directory(opt.web)) svr.set_mount_point("/", opt.web.string());
  svr.set_file_extension_and_mimetype_mapping("js", "text/javascript; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("css", "text/css; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("html", "text/html; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("svg", "image/svg+xml");
}

}  // namespace

struct ApiServer::Impl {
  explicit Impl(ServerOptions options) : context(std::move(options)) {}
  ApiContext context;
  httplib::Server svr;
  int port = 0;
};

ApiServer::ApiServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  ApiContext& ctx = impl_->context;
  httplib::Server& svr = impl_->svr;
  configure(svr, ctx.options);
  svr.set_pre_routing_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { return screen_request(ctx, req, res); });
  svr.set_exception_handler([&ctx](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
    answer_exception(ctx, req, res, std::move(e));
  });
  svr.set_error_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { answer_library_error(ctx, req, res); });
  svr.set_logger([&ctx](const httplib::Request& req, const httplib::Response& res) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count();
    ctx.metrics.record(res.status, secs);
    if (ctx.options.log_requests)
      std::fprintf(stderr, "%s %s %d %.1fms\n", req.method.c_str(), req.path.c_str(), res.status, secs * 1000);
  });
  register_routes(svr, ctx);
}

ApiServer::~ApiServer() { stop(); }

int ApiServer::bind() {
  Impl& m = *impl_;
  const ServerOptions& opt = m.context.options;
  if (opt.port == 0) {
    m.port = m.svr.bind_to_any_port(opt.host);
  } else {
    m.port = m.svr.bind_to_port(opt.host, opt.port) ? opt.port : -1;
  }
  if (m.port <= 0) throw Error(ErrorCode::io_error, "cannot listen on " + opt.host + ":" + std::to_string(opt.port));
  return m.port;
}

void ApiServer::run() { impl_->svr.listen_after_bind(); }

void ApiServer::stop() {
  if (impl_ && impl_->svr.is_running()) impl_->svr.stop();
}

}  // namespace evidence
