#include "evidence/polite_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <regex>
#include <thread>

#include "evidence/errors.hpp"
#include "evidence/url.hpp"

namespace evidence {

namespace {

// The start of a body for an error message: at most 200 bytes, control characters as spaces.
std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (body.size() > 200) s += "...";
  return s;
}

// What went wrong with a request that got no answer, in words.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "timed out connecting";
    case httplib::Error::Read: return "the connection was cut or timed out before the whole answer came";
    case httplib::Error::Write: return "the connection was cut while sending the request";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "the system's CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate did not verify";
    case httplib::Error::ExceedRedirectCount: return "too many redirects";
    default: return "the request failed (" + httplib::to_string(e) + ")";
  }
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

RateLimiter::RateLimiter(double requests_per_second) {
  if (!(requests_per_second > 0) || requests_per_second > 1000)
    throw Error(ErrorCode::invalid_argument, "the request rate must be above 0 and at most 1000 per second");
  interval_ = std::chrono::nanoseconds(static_cast<long long>(1e9 / requests_per_second));
  next_ = std::chrono::steady_clock::now();
}

void RateLimiter::wait() {
  const auto now = std::chrono::steady_clock::now();
  // Booking from the previous booked start, not from now, would let a pause (a backoff) be
  // "saved up" into a burst; from max(now, next) a pause earns nothing.
  const auto start = std::max(now, next_);
  if (start > now) std::this_thread::sleep_until(start);
  next_ = start + interval_;
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now) {
  const auto first = value.find_first_not_of(' ');
  if (first == std::string::npos) return std::nullopt;
  const std::string v = value.substr(first, value.find_last_not_of(' ') - first + 1);
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));  // "forever"
    return std::chrono::seconds(std::stol(v));
  }
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

struct PoliteClient::Impl {
  std::unique_ptr<httplib::Client> client;
  std::string prefix;  // the base URL's path, without a trailing slash
  std::string origin;  // scheme://host[:port], for messages
};

PoliteClient::PoliteClient(ClientOptions options, FetchLog log)
    : impl_(std::make_unique<Impl>()),
      options_(std::move(options)),
      log_(std::move(log)),
      limiter_(options_.requests_per_second) {
  static const std::regex url(R"(^(https?://[^/?#]+)(/[^?#]*)?$)", std::regex::icase);
  std::smatch m;
  if (!std::regex_match(options_.base_url, m, url))
    throw Error(ErrorCode::invalid_argument,
                "base URL '" + options_.base_url + "' is not http(s)://host[:port][/path] (no query part)");
  if (options_.retry.max_attempts < 1) throw Error(ErrorCode::invalid_argument, "at least one attempt is needed");
  impl_->origin = m[1].str();
  impl_->prefix = m[2].str();
  while (!impl_->prefix.empty() && impl_->prefix.back() == '/') impl_->prefix.pop_back();
  // The Debian library is built with OpenSSL, so one Client type serves both schemes; https
  // verifies the server's certificate against the system's CA store (httplib's default).
  impl_->client = std::make_unique<httplib::Client>(impl_->origin);
  if (!options_.ca_file.empty()) {
    if (!std::filesystem::is_regular_file(options_.ca_file))
      throw Error(ErrorCode::invalid_argument, "CA file '" + options_.ca_file + "' is not a readable file");
    impl_->client->set_ca_cert_path(options_.ca_file);
  }
  impl_->client->set_connection_timeout(options_.retry.connect_timeout);
  impl_->client->set_read_timeout(options_.retry.read_timeout);
  impl_->client->set_follow_location(true);
  if (!log_) log_ = [](const std::string&) {};
}

PoliteClient::~PoliteClient() = default;

namespace {
std::string query_string(const QueryParams& params, bool mask_key) {
  std::string q;
  for (const auto& [name, value] : params) {
    if (!q.empty()) q += '&';
    q += percent_encode(name) + '=' + (mask_key && name == "api_key" ? std::string("***") : percent_encode(value));
  }
  return q;
}
}  // namespace

std::string PoliteClient::display_url(const std::string& path, const QueryParams& params) const {
  const std::string q = query_string(params, true);
  return impl_->origin + impl_->prefix + path + (q.empty() ? "" : "?" + q);
}

std::string PoliteClient::get(const std::string& path, const QueryParams& params, const BodyCheck& check) {
  const std::string q = query_string(params, false);
  const std::string target = impl_->prefix + path + (q.empty() ? "" : "?" + q);
  const std::string shown = display_url(path, params);
  const httplib::Headers headers = {{"User-Agent", options_.user_agent}};
  const RetryPolicy& policy = options_.retry;
  auto backoff = policy.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    limiter_.wait();
    ++requests_;
    const httplib::Result res = impl_->client->Get(target, headers);
    std::string problem;
    ErrorCode code = ErrorCode::remote_unavailable;
    std::optional<std::chrono::milliseconds> asked;
    if (!res) {
      problem = describe(res.error());
    } else if (res->status == 200) {
      problem = check ? check(res->body) : std::string();
      if (problem.empty()) return res->body;
      problem = "a malformed answer (" + problem + ")";
      code = ErrorCode::remote_bad_answer;
    } else if (res->status == 429 || res->status == 408 || res->status >= 500) {
      problem = "HTTP " + std::to_string(res->status);
      if (res->has_header("Retry-After")) {
        asked = parse_retry_after(res->get_header_value("Retry-After"), std::chrono::system_clock::now());
        if (asked && *asked > policy.max_backoff)
          throw Error(ErrorCode::remote_unavailable,
                      problem + " from " + shown + " asking to retry after " + seconds_text(*asked) +
                          ", longer than the longest wait allowed (" + seconds_text(policy.max_backoff) + ")");
      }
    } else {
      // Any other status is an answer about the request itself: asking again cannot help.
      throw Error(ErrorCode::remote_bad_answer,
                  "HTTP " + std::to_string(res->status) + " from " + shown + ": " + snippet(res->body));
    }
    if (attempt >= policy.max_attempts)
      throw Error(code, problem + " from " + shown + " (gave up after " + std::to_string(attempt) +
                            (attempt == 1 ? " attempt)" : " attempts)"));
    const auto wait = std::min(std::max(backoff, asked.value_or(std::chrono::milliseconds(0))), policy.max_backoff);
    log_("retry " + std::to_string(attempt) + "/" + std::to_string(policy.max_attempts - 1) + " in " +
         seconds_text(wait) + ": " + problem + " from " + shown);
    ++retries_;
    std::this_thread::sleep_for(wait);
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

}  // namespace evidence
