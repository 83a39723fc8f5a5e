#include "evidence/metrics.hpp"

#include <sstream>

namespace evidence {

void RequestMetrics::record(int status, double seconds) noexcept {
  ++requests_;
  if (status >= 500)
    ++errors_5xx_;
  else if (status >= 400)
    ++errors_4xx_;
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++latency_[b];
  latency_sum_.fetch_add(seconds);
}

std::string RequestMetrics::render(const ResponseCache::Stats& cache, const std::string& revision,
                                   std::uint64_t records) const {
  std::ostringstream m;
  m << "# HELP evidence_http_requests_total HTTP requests served.\n# TYPE evidence_http_requests_total counter\n";
  m << "evidence_http_requests_total " << requests_.load() << "\n";
  m << "# HELP evidence_http_errors_total HTTP error responses by class.\n"
       "# TYPE evidence_http_errors_total counter\n";
  m << "evidence_http_errors_total{class=\"4xx\"} " << errors_4xx_.load() << "\n";
  m << "evidence_http_errors_total{class=\"5xx\"} " << errors_5xx_.load() << "\n";
  m << "# HELP evidence_http_request_duration_seconds Request latency.\n"
       "# TYPE evidence_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += latency_[i].load();
    m << "evidence_http_request_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << "\n";
  }
  cumulative += latency_[kBuckets.size()].load();
  m << "evidence_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n";
  m << "evidence_http_request_duration_seconds_sum " << latency_sum_.load() << "\n";
  m << "evidence_http_request_duration_seconds_count " << cumulative << "\n";
  m << "# HELP evidence_response_cache_requests_total Search and summary responses served from the cache (hit) "
       "or computed (miss).\n"
       "# TYPE evidence_response_cache_requests_total counter\n";
  m << "evidence_response_cache_requests_total{result=\"hit\"} " << cache.hits << "\n";
  m << "evidence_response_cache_requests_total{result=\"miss\"} " << cache.misses << "\n";
  m << "# HELP evidence_response_cache_bytes Bytes held by the response cache.\n"
       "# TYPE evidence_response_cache_bytes gauge\n";
  m << "evidence_response_cache_bytes " << cache.bytes << "\n";
  m << "# HELP evidence_index_info Index revision currently served.\n# TYPE evidence_index_info gauge\n";
  m << "evidence_index_info{revision=\"" << revision << "\"} 1\n";
  m << "# HELP evidence_index_records Records in the index.\n# TYPE evidence_index_records gauge\n"
       "evidence_index_records "
    << records << "\n";
  return m.str();
}

}  // namespace evidence
