#include "evidence/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "evidence/context.hpp"
#include "evidence/data_dir.hpp"
#include "evidence/params.hpp"
#include "evidence/routes.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::atomic<std::uint64_t> next_context_serial{1};

using Clock = std::chrono::steady_clock;

// The exchange (one request and its answer) this worker thread is serving. A worker serves one
// request at a time and cpp-httplib calls every handler of an exchange on that thread.
struct Exchange {
  Clock::time_point start;  // when the request's first byte was there to read, for the latency
  bool close = false;       // close the connection after the answer (request framing not trusted)
  bool head_over = false;   // the request head broke a limit of ConnectionStream
};
thread_local Exchange exchange;

// Bounds on a request head (request line and header fields) that the compiled cpp-httplib
// 0.11.4 does not have: it limits each line to 8 KiB but reads any number of lines.
constexpr std::size_t max_head_bytes = 64 * 1024;
constexpr std::size_t max_head_lines = 101;  // the request line and 100 header fields

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

unsigned worker_threads(const ServerOptions& o) {
  return o.threads ? o.threads : std::max(64u, 8 * std::thread::hardware_concurrency());
}

std::shared_ptr<void> ExportSlots::try_take() {
  if (in_flight_->fetch_add(1) >= limit_) {
    in_flight_->fetch_sub(1);
    return nullptr;
  }
  // The count is shared with the token, so a token outliving its server stays harmless.
  // Not a null pointer: a shared_ptr holding nullptr tests false although it owns its deleter.
  return std::shared_ptr<void>(in_flight_.get(), [count = in_flight_](void*) { count->fetch_sub(1); });
}

ApiContext::ApiContext(ServerOptions server_options)
    : options(with_default_paths(std::move(server_options))),
      vocabulary(Vocabulary::load(options.vocabulary)),
      openapi(load_openapi(options.openapi)),
      error_page(options.web.empty() ? std::string() : read_text(options.web / "error.html")),
      cache(options.cache_mb * 1024 * 1024),
      export_slots(options.export_slots ? options.export_slots : std::max(1u, worker_threads(options) / 2)),
      serial_(next_context_serial++) {}

namespace {
// This worker thread's reader, and the server (serial) it belongs to.
struct ReaderSlot {
  std::uint64_t serial = 0;
  std::unique_ptr<IndexReader> reader;
};
thread_local ReaderSlot reader_slot;
}  // namespace

void ApiContext::release_reader() noexcept { reader_slot.reader.reset(); }

IndexReader& ApiContext::reader() {
  ReaderSlot& slot = reader_slot;
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
    case ErrorCode::busy: return {503, "busy", nullptr, true};
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
  if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
    send_error(res, 405, "method_not_allowed", "the API is read-only; use GET");
    res.set_header("Allow", "GET, HEAD, OPTIONS");
    return httplib::Server::HandlerResponse::Handled;
  }
  // cpp-httplib does not read a GET's body: refuse one (413 when large), and the post-routing
  // handler closes the connection so unread body bytes can never be parsed as a next request.
  // Two Content-Length fields or a Transfer-Encoding (a chunked GET) are framing no proxy in
  // front of us may read the same way: 400, and closed.
  if (req.get_header_value_count("Content-Length") > 1 || req.has_header("Transfer-Encoding")) {
    exchange.close = true;
    send_error(res, 400, "bad_request", "GET requests carry no body");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") {
    const std::string len = req.get_header_value("Content-Length");
    const bool large =
        len.size() > 5 || len.find_first_not_of("0123456789") != std::string::npos || std::stoul(len) > 64 * 1024;
    if (large)
      send_error(res, 413, "payload_too_large", "request body too large (the API takes no bodies)");
    else
      send_error(res, 400, "bad_request", "GET requests carry no body");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.method == "OPTIONS") {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "If-None-Match, Content-Type");
    return httplib::Server::HandlerResponse::Handled;
  }
  // A control character in the decoded path (%00 above all) is no file name: cpp-httplib would
  // open "index.html" for "/index.html%00.js" and label it by the ".js" after the NUL.
  if (std::any_of(req.path.begin(), req.path.end(), [](char c) { return c >= 0 && (c < 0x20 || c == 0x7f); })) {
    if (is_api_path(req.path) || !send_error_page(ctx, res, 400))
      send_error(res, 400, "bad_encoding", "control character in the path");
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
  // A request cpp-httplib could not read leaves the connection at an unknown place in the byte
  // stream: whatever follows is not a request. (A 404 without a route is a well-read request.)
  if (res.status != 404) exchange.close = true;
  if (exchange.head_over) res.status = 431;
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

// A request that declares a body (which the API never reads) or whose framing could not be
// trusted is answered with "Connection: close", and GuardedServer closes the connection after it.
void close_if_needed(const httplib::Request& req, httplib::Response& res) {
  if (req.has_header("Transfer-Encoding") || req.get_header_value_count("Content-Length") > 1 ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0"))
    exchange.close = true;
  if (!exchange.close) return;
  res.headers.erase("Connection");
  res.headers.erase("Keep-Alive");
  res.set_header("Connection", "close");
}

// A client connection: its socket, the bytes read from it and not yet parsed, and the limits of
// the request head being read. It is cpp-httplib's Stream while a worker serves a request, and
// between requests, or while a request head is still arriving, it is parked with the
// ConnectionPoller and holds no worker. Reads are buffered across the requests of a keep-alive
// connection (pipelined bytes stay for the next request), and a request head may not exceed
// max_head_bytes or max_head_lines nor take longer than the read timeout in all: a read past a
// limit fails, and cpp-httplib then answers 400 (431 from answer_library_error).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, std::chrono::microseconds read_timeout, std::chrono::microseconds write_timeout,
                   std::chrono::seconds keep_alive, std::size_t max_requests)
      : sock_(sock),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout),
        keep_alive_(keep_alive),
        requests_left_(max_requests) {}
  ~ConnectionStream() override {
    if (sock_ != INVALID_SOCKET) ::close(sock_);
  }
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  // Reads what the socket holds without waiting, up to a head's worth of bytes. False when the
  // peer has closed the connection or it failed.
  bool fill(Clock::time_point now) {
    for (;;) {
      if (pos_ == len_) pos_ = len_ = scanned_ = 0;
      if (!make_room()) return true;  // a whole head's worth is here: the worker refuses it
      const ssize_t n = ::recv(sock_, buf_.data() + len_, buf_.size() - len_, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) return false;
      if (len_ == 0) head_start_ = now;  // the first byte of a request
      len_ += static_cast<std::size_t>(n);
    }
  }

  // Whether a worker can take the connection without waiting on the client: a whole request head
  // is buffered, or the head has broken a limit or its deadline (the worker then answers 431 or
  // 400, or closes, at once).
  bool head_ready(Clock::time_point now) {
    if (pos_ == len_) return false;
    // Scanned once per byte however the head arrives, so a head trickled byte by byte costs no
    // more than one sent whole.
    for (; scanned_ < len_; ++scanned_) {
      if (buf_[scanned_] != '\n') continue;
      ++scanned_lines_;
      if (scanned_ >= pos_ + 3 && buf_[scanned_ - 1] == '\r' && buf_[scanned_ - 2] == '\n' &&
          buf_[scanned_ - 3] == '\r')
        return true;
    }
    return len_ - pos_ >= max_head_bytes || scanned_lines_ >= max_head_lines || now >= head_start_ + read_timeout_;
  }
  // Nothing of a next request came within the keep-alive wait.
  bool idle_expired(Clock::time_point now) const { return pos_ == len_ && now >= idle_until_; }
  // Called when the connection is parked: an empty one may wait for its next request this long.
  void park(Clock::time_point now) { idle_until_ = now + keep_alive_; }

  // Starts the byte budget and the deadline of the request head that head_ready() found; returns
  // when its first byte came (the start of its latency).
  Clock::time_point begin_request() {
    budget_ = max_head_bytes;
    lines_ = 0;
    deadline_ = head_start_ + read_timeout_;
    --requests_left_;
    return head_start_;
  }
  // After an answer: bytes already here belong to the next request, which starts now.
  void end_request(Clock::time_point now) {
    scanned_ = pos_;
    scanned_lines_ = 0;
    head_start_ = now;
  }
  // After begin_request: whether this is the last request the connection may make.
  bool last_request() const { return requests_left_ == 0; }

  // After an answer that left a body unread, the client may still be sending it: closing a
  // socket with unread bytes sends a reset that can destroy the answer before the client reads
  // it. So stop writing, read and drop what comes for a moment (at most 1 s and 1 MiB), then close.
  void close(bool lingering) {
    ::shutdown(sock_, lingering ? SHUT_WR : SHUT_RDWR);
    if (lingering) {
      const auto until = Clock::now() + std::chrono::seconds(1);
      std::array<char, 16384> sink;
      std::size_t dropped = 0;
      while (dropped < 1024 * 1024 && Clock::now() < until) {
        pollfd p{sock_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::recv(sock_, sink.data(), sink.size(), 0);
        if (n <= 0) break;
        dropped += static_cast<std::size_t>(n);
      }
    }
    ::close(sock_);
    sock_ = INVALID_SOCKET;
  }

  bool is_readable() const override { return pos_ < len_ || wait(POLLIN, remaining()); }
  bool is_writable() const override { return wait(POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, std::size_t size) override {
    if (budget_ == 0 || lines_ >= max_head_lines) {
      exchange.head_over = true;
      return -1;
    }
    if (pos_ == len_) {
      if (!wait(POLLIN, remaining())) return -1;
      pos_ = len_ = scanned_ = 0;
      const ssize_t n = ::recv(sock_, buf_.data(), buf_.size(), 0);
      if (n <= 0) return n;
      len_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = std::min({size, len_ - pos_, budget_});
    std::copy_n(buf_.data() + pos_, n, ptr);
    pos_ += n;
    budget_ -= n;
    lines_ += static_cast<std::size_t>(std::count(ptr, ptr + n, '\n'));
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    return ::send(sock_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  // Room to read into: unparsed bytes move to the front, and the buffer grows up to one head over
  // the limit (false: it is that full).
  bool make_room() {
    if (len_ < buf_.size()) return true;
    if (pos_ > 0) {
      std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(pos_), buf_.begin() + static_cast<std::ptrdiff_t>(len_),
                buf_.begin());
      len_ -= pos_;
      scanned_ -= std::min(scanned_, pos_);
      pos_ = 0;
      if (len_ < buf_.size()) return true;
    }
    if (buf_.size() > max_head_bytes) return false;
    buf_.resize(std::min(buf_.size() * 2, max_head_bytes + 1));
    return true;
  }
  std::chrono::microseconds remaining() const {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    return std::clamp(left, std::chrono::microseconds(0), read_timeout_);
  }
  bool wait(short events, std::chrono::microseconds timeout) const {
    pollfd p{sock_, events, 0};
    const int ms = static_cast<int>((timeout.count() + 999) / 1000);
    int r;
    do r = ::poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (events | POLLHUP)) != 0;
  }
  void address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t n = sizeof a;
    if (get(sock_, reinterpret_cast<sockaddr*>(&a), &n) != 0) return;
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (a.ss_family == AF_INET) {
      const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
      ::inet_ntop(AF_INET, &v4.sin_addr, text.data(), text.size());
      port = ntohs(v4.sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
      ::inet_ntop(AF_INET6, &v6.sin6_addr, text.data(), text.size());
      port = ntohs(v6.sin6_port);
    }
    ip = text.data();
  }

  int sock_;
  std::chrono::microseconds read_timeout_, write_timeout_;
  std::chrono::seconds keep_alive_;
  std::size_t requests_left_;
  std::vector<char> buf_ = std::vector<char>(4096);
  std::size_t pos_ = 0, len_ = 0;                // unparsed bytes are buf_[pos_, len_)
  std::size_t scanned_ = 0, scanned_lines_ = 0;  // how far head_ready() has looked
  std::size_t budget_ = max_head_bytes, lines_ = 0;
  Clock::time_point head_start_, deadline_, idle_until_;
};

using Connection = std::shared_ptr<ConnectionStream>;

// Holds the connections no worker needs: idle between requests, or with a request head still
// arriving. One thread waits on all of them (epoll) and hands a connection to a worker only when
// it can be served without waiting: cpp-httplib gives a connection a worker for its whole life,
// so 64 idle or slowloris clients held all 64 workers and everyone else waited (issue 20). It
// closes a connection whose next request has not begun within the keep-alive wait, and hands on
// one whose head broke a limit or its deadline, for the worker to refuse.
class ConnectionPoller {
 public:
  explicit ConnectionPoller(std::function<void(Connection)> dispatch)
      : dispatch_(std::move(dispatch)), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) throw Error(ErrorCode::io_error, "cannot create an epoll instance");
    thread_ = std::thread([this] { run(); });
  }
  ~ConnectionPoller() {
    stop();
    ::close(epoll_);
  }
  ConnectionPoller(const ConnectionPoller&) = delete;
  ConnectionPoller& operator=(const ConnectionPoller&) = delete;

  // Takes the connection until it can be served; once stopping, closes it instead.
  void park(Connection c) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c->socket();
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c->socket(), &ev) != 0) return;
    c->park(Clock::now());
    parked_.emplace(c->socket(), std::move(c));
  }

  // Closes every parked connection; those parked later are closed at once.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    thread_.join();
    parked_.clear();
  }

 private:
  using Parked = std::unordered_map<int, Connection>;

  void run() {
    std::array<epoll_event, 256> events;
    auto next_sweep = Clock::now();
    std::vector<Connection> ready;
    for (;;) {
      // A short wait, so that deadlines are kept within 100 ms and stop() is seen.
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_) return;
        const auto now = Clock::now();
        for (int i = 0; i < n; ++i) {
          const auto it = parked_.find(events[static_cast<std::size_t>(i)].data.fd);
          if (it == parked_.end()) continue;
          const bool open = it->second->fill(now);
          if (it->second->head_ready(now))
            ready.push_back(take(it));
          else if (!open)
            take(it);  // the client has gone: closed here
        }
        if (now >= next_sweep) {
          for (auto it = parked_.begin(); it != parked_.end();) {
            auto at = it++;
            if (at->second->head_ready(now))
              ready.push_back(take(at));
            else if (at->second->idle_expired(now))
              take(at);
          }
          next_sweep = now + std::chrono::milliseconds(100);
        }
      }
      for (auto& c : ready) dispatch_(std::move(c));
      ready.clear();
    }
  }
  Connection take(Parked::iterator it) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->first, nullptr);
    Connection c = std::move(it->second);
    parked_.erase(it);
    return c;
  }

  std::function<void(Connection)> dispatch_;
  int epoll_;
  std::mutex mutex_;
  Parked parked_;
  bool stopped_ = false;
  std::thread thread_;
};

// glibc keeps memory that threads have freed in its arenas for their next allocations: after 32
// exports of 5,000 records at once the server stayed at 5.6 GB (issue 20). After a large answer,
// each worker that goes idle gives the free memory back (malloc_trim), off the path of any
// request: every one of them, not only the first, so that what each frees as it goes idle (its
// index reader) is given back too.
constexpr std::size_t large_body_bytes = 256 * 1024;
std::atomic<Clock::rep> last_large_answer{0};  // Clock ticks; 0: none yet
thread_local bool answered_large = false;      // this worker has sent a large answer

void note_answer_size(std::size_t bytes) {
  if (bytes < large_body_bytes) return;
  last_large_answer = Clock::now().time_since_epoch().count();
  answered_large = true;
}

// Under a sanitizer malloc is the sanitizer's own allocator, and glibc's arenas that malloc_trim
// walks were never set up: in the ASan build it crashed (SIGSEGV in glibc's mtrim) once a test's
// large answer made idle workers trim while others started and ended.
// GCC says so with __SANITIZE_*__, clang (the fuzz builds) only through __has_feature.
#if defined(__has_feature)
#define EVIDENCE_HAS_FEATURE(x) __has_feature(x)
#else
#define EVIDENCE_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || EVIDENCE_HAS_FEATURE(address_sanitizer) || \
    EVIDENCE_HAS_FEATURE(thread_sanitizer) || EVIDENCE_HAS_FEATURE(memory_sanitizer)
constexpr bool glibc_malloc = false;
#else
constexpr bool glibc_malloc = true;
#endif

void return_free_memory() {
  if constexpr (!glibc_malloc) return;
  const Clock::rep at = last_large_answer;
  if (at != 0 && Clock::now() - Clock::time_point(Clock::duration(at)) < std::chrono::seconds(10)) ::malloc_trim(0);
}

// cpp-httplib's thread pool with three additions: the ConnectionPoller, through which connections
// come back to the workers; a worker that has had nothing to do for a second lets go of its
// index reader (and of free memory, see return_free_memory). A reader holds its generation's
// files open, and after a rebuild has deleted that generation an idle worker would keep the
// deleted files (disk space and file descriptors) for as long as it stays idle. The next request
// opens the index afresh. And a worker that has sent a large answer is replaced by a fresh thread
// when it goes idle: glibc keeps a per-thread cache of freed blocks (tcache) that malloc_trim
// cannot reach and that pins pages of the thread's arena, about 0.7 MB per worker after a burst
// of exports (RSS 25 MB against 15 MB idle); a thread that ends hands them back. Disabling the
// cache (GLIBC_TUNABLES tcache_count=0) did the same but made every query 5-10% slower.
class WorkerPool final : public httplib::TaskQueue {
 public:
  WorkerPool(unsigned threads, std::function<void()> on_idle, std::function<void(Connection)> serve)
      : on_idle_(std::move(on_idle)),
        serve_(std::move(serve)),
        poller_([this](Connection c) { enqueue([this, c] { serve_(c); }); }) {
    // Under the lock, as replace() changes threads_ under it.
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i] { work(i, true); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(fn));
    }
    cond_.notify_one();
  }
  void park(Connection c) { poller_.park(std::move(c)); }
  // The poller first (its connections are closed, and it queues no more work), then the workers,
  // which finish the queued requests.
  void shutdown() override {
    poller_.stop();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    cond_.notify_all();
    // No worker is replaced once shutdown_ is set, so both lists are final here.
    for (auto& t : threads_) t.join();
    for (auto& t : retired_) t.join();
  }

 private:
  // `released`: false for a replacement, whose first idle second gives back what its predecessor
  // left (the predecessor has ended by then).
  void work(unsigned slot, bool released) {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!cond_.wait_for(lock, std::chrono::seconds(1), [this] { return shutdown_ || !jobs_.empty(); })) {
          lock.unlock();
          if (!released) on_idle_();
          released = true;
          if (answered_large && replace(slot)) return;
          continue;
        }
        if (shutdown_ && jobs_.empty()) break;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
      released = false;
    }
    on_idle_();
  }

  // Starts a fresh worker in this one's slot; the caller then returns, ending its thread. The
  // handles of workers replaced earlier are joined here, outside the lock (they have ended or
  // are about to). False when the pool is shutting down.
  bool replace(unsigned slot) {
    std::vector<std::thread> ended;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (shutdown_) return false;
      ended.swap(retired_);
      retired_.push_back(std::move(threads_[slot]));
      threads_[slot] = std::thread([this, slot] { work(slot, false); });
    }
    for (auto& t : ended) t.join();
    return true;
  }

  std::function<void()> on_idle_;
  std::function<void(Connection)> serve_;
  std::vector<std::thread> threads_;
  std::vector<std::thread> retired_;  // replaced workers, not yet joined
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable cond_;
  bool shutdown_ = false;
  ConnectionPoller poller_;  // last: stopped and destroyed before what its dispatch uses
};

// cpp-httplib's server with our own connection handling (its process_and_close_socket is a
// virtual hook): the same keep-alive rules, plus a worker only while a request can be served
// (WorkerPool, ConnectionPoller), the request-head limits of ConnectionStream, a latency clock
// started when a request's first byte is there, multi-range requests read as whole-file
// requests, and a close after any answer that set exchange.close.
class GuardedServer final : public httplib::Server {
 public:
  void set_workers(unsigned threads, std::function<void()> on_idle) {
    new_task_queue = [this, threads, on_idle] {
      pool_ = new WorkerPool(threads, on_idle, [this](Connection c) { serve(std::move(c)); });
      return pool_;
    };
  }
  // cpp-httplib 0.11.4 listens with a backlog of 5: when hundreds of clients connect at once,
  // more SYNs than that are dropped and their clients retry only after a second or more. A
  // second listen() on the bound socket sets the kernel's largest backlog instead.
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }

 private:
  // Runs on a worker for a connection just accepted.
  bool process_and_close_socket(socket_t sock) override {
    using std::chrono::microseconds, std::chrono::seconds;
    auto c = std::make_shared<ConnectionStream>(sock, seconds(read_timeout_sec_) + microseconds(read_timeout_usec_),
                                                seconds(write_timeout_sec_) + microseconds(write_timeout_usec_),
                                                seconds(keep_alive_timeout_sec_), keep_alive_max_count_);
    c->fill(Clock::now());
    serve(std::move(c));
    return true;
  }

  // Serves the requests whose heads are here, then parks the connection or closes it.
  void serve(Connection c) {
    while (c->head_ready(Clock::now())) {
      exchange = Exchange{c->begin_request()};
      const bool last = c->last_request();
      bool client_closes = false;
      const bool ok = process_request(*c, last, client_closes, read_ranges_as_whole);
      if (!ok || client_closes || exchange.close || last) {
        c->close(exchange.close);
        return;
      }
      c->end_request(Clock::now());
    }
    pool_->park(std::move(c));
  }

  // A request for several ranges is answered with the whole file and 200 (RFC 9110 section 14.2
  // lets a server ignore Range): cpp-httplib's multipart/byteranges answers are not worth their
  // risks (overlapping ranges that multiply the work, bodies nobody needs from this server).
  // cpp-httplib 0.11.4 calls this hook before it parses the Range field, so the field is dropped;
  // parsed ranges are cleared too, should a later version call it after.
  static void read_ranges_as_whole(httplib::Request& req) {
    if (req.get_header_value("Range").find(',') != std::string::npos) req.headers.erase("Range");
    if (req.ranges.size() > 1) req.ranges.clear();
  }

  WorkerPool* pool_ = nullptr;  // owned by listen_after_bind(), which creates it before any connection
};

void configure(GuardedServer& svr, ApiContext& ctx) {
  const ServerOptions& opt = ctx.options;
  // Workers serve requests, not connections: idle and half-sent connections wait in the
  // ConnectionPoller. The size is the one the load benchmark was measured with (8 per core, at
  // least 64), when a worker still held a keep-alive connection for its whole life.
  svr.set_workers(worker_threads(opt), [&ctx] {
    ctx.release_reader();
    return_free_memory();
  });
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
  GuardedServer svr;
  int port = 0;
};

ApiServer::ApiServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  ApiContext& ctx = impl_->context;
  GuardedServer& svr = impl_->svr;
  configure(svr, ctx);
  svr.set_pre_routing_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { return screen_request(ctx, req, res); });
  svr.set_exception_handler([&ctx](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
    answer_exception(ctx, req, res, std::move(e));
  });
  svr.set_error_handler(
      [&ctx](const httplib::Request& req, httplib::Response& res) { answer_library_error(ctx, req, res); });
  svr.set_post_routing_handler(close_if_needed);
  svr.set_logger([&ctx](const httplib::Request& req, const httplib::Response& res) {
    const double secs = std::chrono::duration<double>(Clock::now() - exchange.start).count();
    ctx.metrics.record(res.status, secs);
    // A streamed answer (an export) has no body here; it is counted as large, for what it decoded.
    note_answer_size(res.content_provider_ ? large_body_bytes : res.body.size());
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
  m.svr.widen_backlog();
  return m.port;
}

void ApiServer::run() { impl_->svr.listen_after_bind(); }

void ApiServer::stop() {
  if (impl_ && impl_->svr.is_running()) impl_->svr.stop();
}

}  // namespace evidence
