#pragma once
// A GET client for one remote service (NCBI E-utilities, ClinicalTrials.gov) that keeps to the
// service's request rate and retries what is worth retrying: HTTP 429 and 5xx answers (honouring
// Retry-After), a connection that could not be made or was cut, and a 200 answer whose body the
// caller's check rejects (a truncated or malformed page). Works over https:// (cpp-httplib with
// OpenSSL, server certificates verified) and http:// (loopback tests).
//
// get() throws evidence::Error:
//   remote_unavailable  the service could not be reached, or answered 429/5xx or a cut body, on
//                       every attempt;
//   remote_bad_answer   it refused the request (a 4xx other than 408/429), or its 200 answers
//                       failed the caller's check on every attempt;
//   invalid_argument    the base URL is not http(s)://host[:port][/path].
// Messages name the URL (with any api_key masked) and what was wrong.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evidence {

// Spaces request starts at least 1/rate seconds apart, so that no second holds more than `rate`
// requests. Not thread-safe: one limiter per client, used from one thread.
class RateLimiter {
 public:
  explicit RateLimiter(double requests_per_second);
  // Sleeps until the next request may start and books that start.
  void wait();
  std::chrono::nanoseconds interval() const { return interval_; }

 private:
  std::chrono::nanoseconds interval_;
  std::chrono::steady_clock::time_point next_;
};

struct RetryPolicy {
  int max_attempts = 5;                             // per request, the first one included
  std::chrono::milliseconds initial_backoff{1000};  // doubled after each failed attempt
  // Caps the backoff; a Retry-After asking for longer ends the retries (waiting less would be
  // refused again).
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds read_timeout{120};
};

struct ClientOptions {
  std::string base_url;            // http(s)://host[:port][/path], no trailing query
  double requests_per_second = 3;  // the service's documented limit
  RetryPolicy retry;
  std::string user_agent = "backpain-evidence evidence-fetch";
  // https: a PEM file of the certificate authorities to trust instead of the system's store (a
  // proxy with its own CA, or a test server's self-signed certificate). Empty: the system's.
  std::string ca_file;
};

// One query parameter; values are percent-encoded by the client.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Checks a 200 answer's body: returns "" when it is usable, else what is wrong with it.
using BodyCheck = std::function<std::string(const std::string& body)>;

// Progress and retry messages, one line each, without a newline.
using FetchLog = std::function<void(const std::string& line)>;

// The delay a Retry-After header value asks for (delta-seconds or an HTTP-date, RFC 9110 10.2.3),
// or nullopt when the value is neither. A date in the past asks for no delay.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value,
                                                           std::chrono::system_clock::time_point now);

class PoliteClient {
 public:
  PoliteClient(ClientOptions options, FetchLog log);
  ~PoliteClient();
  PoliteClient(const PoliteClient&) = delete;
  PoliteClient& operator=(const PoliteClient&) = delete;

  // GETs base_url + path with the parameters and returns the body of the first 200 answer that
  // passes `check`.
  std::string get(const std::string& path, const QueryParams& params, const BodyCheck& check);

  // The URL get() would request, api_key masked: for messages and dry runs.
  std::string display_url(const std::string& path, const QueryParams& params) const;

  std::size_t requests() const { return requests_; }  // attempts made, retries included
  std::size_t retries() const { return retries_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ClientOptions options_;
  FetchLog log_;
  RateLimiter limiter_;
  std::size_t requests_ = 0, retries_ = 0;
};

}  // namespace evidence
