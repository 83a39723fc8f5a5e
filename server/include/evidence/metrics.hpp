#pragma once
// Counters of the HTTP requests a server has answered, for GET /metrics: requests, error
// responses by class (4xx, 5xx) and a latency histogram. Updated from every worker thread
// without locks; never throws except std::bad_alloc in render().
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "evidence/response_cache.hpp"

namespace evidence {

class RequestMetrics {
 public:
  // One answered request: its HTTP status and how long it took, in seconds.
  void record(int status, double seconds) noexcept;

  // The Prometheus text format (0.0.4): these counters, the response cache's hits, misses and
  // size, and the index served (revision "unavailable" and 0 records while there is none).
  std::string render(const ResponseCache::Stats& cache, const std::string& revision, std::uint64_t records) const;

 private:
  // Upper bounds of the latency buckets in seconds; one more bucket takes the rest (+Inf).
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
  std::atomic<std::uint64_t> requests_{0}, errors_4xx_{0}, errors_5xx_{0};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency_{};
  std::atomic<double> latency_sum_{0};
};

}  // namespace evidence
