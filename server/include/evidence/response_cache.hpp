#pragma once
// A bounded, thread-safe LRU cache of rendered API responses (the JSON body), shared by the
// server's worker threads. Keys include the index revision, so a re-index makes old entries
// unreachable (they age out); nothing is ever served for a revision it was not computed on.
// Never throws except std::bad_alloc.
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace evidence {

class ResponseCache {
 public:
  // max_bytes = 0 disables the cache (get() misses, put() keeps nothing).
  explicit ResponseCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  std::shared_ptr<const std::string> get(const std::string& key);
  void put(const std::string& key, std::string body);

  struct Stats {
    std::uint64_t hits = 0, misses = 0, entries = 0, bytes = 0, evictions = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> body;
  };
  std::size_t cost(const Entry& e) const { return e.key.size() + e.body->size() + 128; }
  std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace evidence
