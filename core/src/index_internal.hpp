#pragma once
// Private to the core library: the Xapian side of IndexReader, shared by index.cpp and search.cpp.
#include <xapian.h>

#include <filesystem>
#include <string>

#include "evidence/errors.hpp"
#include "evidence/index.hpp"

namespace evidence {

struct IndexReader::Impl {
  std::filesystem::path dir;
  std::string generation;  // target of the stub when opened
  Xapian::Database db;
  void open();
};

// Maps a Xapian exception to evidence::Error; `what` says what was being done.
[[noreturn]] void rethrow_xapian(const Xapian::Error& e, const std::string& what);

// Runs f(db); when the revision it read was discarded by a writer, reopens and retries once.
template <typename F>
auto with_reopen_retry(IndexReader::Impl& impl, const std::string& what, F&& f) -> decltype(f(impl.db)) {
  try {
    try {
      return f(impl.db);
    } catch (const Xapian::DatabaseModifiedError&) {
      impl.db.reopen();
      return f(impl.db);
    }
  } catch (const Xapian::Error& e) {
    rethrow_xapian(e, what);
  }
}

}  // namespace evidence
