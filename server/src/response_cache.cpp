#include "evidence/response_cache.hpp"

namespace evidence {

std::shared_ptr<const std::string> ResponseCache::get(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->body;
}

void ResponseCache::put(const std::string& key, std::string body) {
  if (max_bytes_ == 0) return;
  Entry e{key, std::make_shared<const std::string>(std::move(body))};
  const std::size_t c = cost(e);
  if (c > max_bytes_ / 8) return;  // one huge response (a deep export page) must not flush the rest
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    bytes_ -= cost(*it->second);
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(std::move(e));
  index_[key] = lru_.begin();
  bytes_ += c;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    bytes_ -= cost(lru_.back());
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++evictions_;
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {hits_, misses_, lru_.size(), bytes_, evictions_};
}

}  // namespace evidence
