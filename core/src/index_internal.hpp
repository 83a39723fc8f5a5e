#pragma once
// Private to the core library: the Xapian side of IndexReader, shared by index.cpp and search.cpp.
#include <xapian.h>

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "doc_columns.hpp"

namespace evidence {

struct IndexReader::Impl {
  std::filesystem::path dir;
  std::string generation;  // target of the stub when opened
  Xapian::Database db;
  // A shard is served by xapian-tcpsrv: only Xapian's own match spies run there.
  bool remote = false;
  // Whether a term occurs in the index, remembered until the database changes: a concept expands
  // to dozens of forms (synonyms, misspellings) of which most never occur, and looking each up
  // again on every query costs a B-tree descent (disk reads) per form.
  std::unordered_map<std::string, bool> term_exists;
  bool has_term(const std::string& term) {
    auto it = term_exists.find(term);
    if (it == term_exists.end()) it = term_exists.emplace(term, db.term_exists(term)).first;
    return it->second;
  }
  void open();
  // "gen-N:R", or for a stub naming several shards a stand-in built from counts (see revision()).
  std::string revision();
  // Decoded facets and ranking features of the current revision (see doc_columns.hpp); nullptr
  // over several shards or a remote one.
  std::shared_ptr<const DocColumns> columns();
  std::shared_ptr<const DocColumns> columns_;
  std::string columns_revision_;
};

// The Xapian side of a reader, for the core library's own search code (and the storage tests).
struct IndexAccess {
  static IndexReader::Impl& of(IndexReader& reader) { return *reader.impl_; }
};

// What a graded summary reads of a document: its record without the abstract, MeSH headings and
// keywords, from slot_synthesis, which Xapian does not compress; from the whole document data in
// an index written before the slot existed. Throws Error(index_corrupt) on data it cannot decode.
Study decode_synthesis_form(const Xapian::Document& doc);

// Maps a Xapian exception to evidence::Error; `what` says what was being done.
[[noreturn]] void rethrow_xapian(const Xapian::Error& e, const std::string& what);
// The same for a reader, where any failure of the database (a remote shard down or timing out,
// a damaged or vanished file, an unusable stub) means the index cannot answer: index_corrupt
// or index_unavailable, never io_error or internal. Query parser errors stay invalid_argument.
[[noreturn]] void rethrow_xapian_reading(const Xapian::Error& e, const std::string& what);

// Runs f(db); when the revision it read was discarded by a writer, reopens and retries once.
template <typename F>
auto with_reopen_retry(IndexReader::Impl& impl, const std::string& what, F&& f) -> decltype(f(impl.db)) {
  try {
    try {
      return f(impl.db);
    } catch (const Xapian::DatabaseModifiedError&) {
      impl.db.reopen();
      impl.term_exists.clear();
      return f(impl.db);
    }
  } catch (const Xapian::Error& e) {
    rethrow_xapian_reading(e, what);
  }
}

}  // namespace evidence
