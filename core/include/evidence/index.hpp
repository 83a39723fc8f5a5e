#pragma once
// The index: the only place (with search.cpp) that sees Xapian. Callers get evidence types only.
//
// Layout on disk: DIR/XAPIANDB is a Xapian stub file naming the live generation DIR/gen-N
// (a glass database). Readers open DIR (Xapian follows the stub); a full rebuild (or a run that
// keeps the previous generation) writes a new gen-M beside the live one and swaps the stub with
// an atomic rename. The generation swapped out stays on disk as the previous one, for
// rollback_generation(); older ones are deleted.
//
// Every method throws evidence::Error: index_locked (another writer holds the lock),
// index_unavailable (missing or unopenable), index_corrupt, io_error, internal.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "evidence/change_log.hpp"
#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence {

enum class Change { added, updated, unchanged };

// A study turned into an index document, ready for IndexWriter::put. Made by a DocumentBuilder.
class PreparedDocument {
 public:
  PreparedDocument();
  ~PreparedDocument();
  PreparedDocument(PreparedDocument&&) noexcept;
  PreparedDocument& operator=(PreparedDocument&&) noexcept;
  const std::string& id() const;

 private:
  friend class DocumentBuilder;
  friend class IndexWriter;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Turns studies into index documents (terms, value slots, stored record, content hash). Builders
// share no state, so one per thread can work in parallel while a single IndexWriter writes.
// Throws evidence::Error(internal) when Xapian fails.
class DocumentBuilder {
 public:
  explicit DocumentBuilder(const Vocabulary& vocabulary);
  ~DocumentBuilder();
  DocumentBuilder(const DocumentBuilder&) = delete;
  DocumentBuilder& operator=(const DocumentBuilder&) = delete;
  PreparedDocument build(const Study& study);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where an IndexWriter writes.
enum class WriteMode {
  in_place,       // the live generation, inside one transaction
  rebuild,        // a fresh, empty generation that replaces the live one at commit()
  keep_previous,  // a copy of the live generation that replaces it at commit(), so the live one
                  // stays on disk as the previous generation (rollback_generation() goes back to it)
};

class IndexWriter {
 public:
  // Opens (creating if needed) the index at dir. With rebuild=true, writes a fresh generation
  // that replaces the live one only when commit() succeeds.
  IndexWriter(const std::filesystem::path& dir, const Vocabulary& vocabulary, bool rebuild = false);
  IndexWriter(const std::filesystem::path& dir, const Vocabulary& vocabulary, WriteMode mode);
  ~IndexWriter();
  IndexWriter(const IndexWriter&) = delete;
  IndexWriter& operator=(const IndexWriter&) = delete;

  // Adds or replaces the study with the same id; unchanged when its content is identical.
  Change put(const Study& study);
  Change put(PreparedDocument&& document);
  // Removes a study by id; false when it was not there.
  bool remove(const std::string& id);
  std::optional<Study> get(const std::string& id) const;
  // Id of the study that carries this identifier (kind: pmid, doi, nct, pmcid), if any.
  std::optional<std::string> find_by_identifier(const std::string& kind, const std::string& value) const;
  std::vector<std::string> all_ids() const;
  std::vector<Study> all_studies() const;
  std::uint64_t doc_count() const;

  void set_metadata(const std::string& key, const std::string& value);
  std::string metadata(const std::string& key) const;

  // A fresh index (a rebuild, or a first run into an empty index) can be written by several
  // threads at once: each writes its own part database, and commit() merges the parts with the
  // live generation (Xapian's compaction, as xapian-compact does) before it becomes visible.
  // Throws Error(invalid_argument) when the index already holds records.
  void open_parts(unsigned count);
  // Adds a document with a new id to a part; calls for different parts may run concurrently.
  void put_to_part(unsigned part, PreparedDocument&& document);

  // Keys (intervention|comparator kind|outcome|time point) of the graded findings that records
  // written or removed through this writer took part in, before or after the change.
  const std::set<std::string>& touched_finding_keys() const;
  // Studies that contribute to any of these finding keys; with keys == nullptr, to any finding.
  // Each in the form a graded summary reads: without its abstract, MeSH headings and keywords.
  std::vector<Study> studies_with_findings(const std::set<std::string>* keys) const;

  // Writes the vocabulary's synonyms into the database for the query parser.
  void write_synonyms(const Vocabulary& vocabulary);

  // Makes every change since the writer was opened durable and visible, all or nothing.
  // A rebuild swaps the new generation in here.
  void commit();
  // Drops every uncommitted change (also done by the destructor).
  void cancel();

  const std::filesystem::path& live_generation() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For the main() of a program that writes indexes. libxapian 1.4 ends the process through
// std::terminate when a commit meets a write error (a full disk, a file-size limit): the error
// escapes while it unwinds a frame that may not throw. This installs a terminate handler that,
// for such a Xapian error only, removes the directories the run's writers had not yet made live
// (a rebuild's generation, its parts, a half-written merge), prints "<program>: <message>
// (io_error); ..." to stderr and exits with status 2, as a reported I/O error does. A commit is
// all or nothing on disk, so the live index is the one committed before. Any other terminate
// goes on to the previous handler. Throws nothing.
void exit_on_failed_index_write(const char* program);

// A read-only view for one thread. refresh() picks up the newest committed revision, following
// a swapped stub to a new generation.
class IndexReader {
 public:
  explicit IndexReader(const std::filesystem::path& dir);
  ~IndexReader();
  IndexReader(const IndexReader&) = delete;
  IndexReader& operator=(const IndexReader&) = delete;
  IndexReader(IndexReader&&) noexcept;

  // Reopens at the newest revision; returns true when it changed.
  bool refresh();
  // "gen-N:R": the generation and its revision; changes with every commit or swap.
  std::string revision() const;
  std::uint64_t doc_count() const;
  std::optional<Study> get(const std::string& id) const;
  // The study that carries this identifier (kind: pmid, doi, nct, pmcid), if any; throws
  // Error(invalid_argument) for an unknown kind.
  std::optional<Study> find_by_identifier(const std::string& kind, const std::string& value) const;
  std::vector<Study> all_studies() const;
  std::string metadata(const std::string& key) const;
  // What the last indexer runs changed, oldest first (change_log.hpp); empty for an index
  // written before the log existed.
  std::vector<IndexChanges> change_log() const;
  // Counts of documents carrying each value of a boolean prefix (e.g. design, source).
  std::vector<std::pair<std::string, std::uint64_t>> term_counts(const std::string& prefix) const;
  // Spelling suggestion for a word, "" when none.
  std::string spelling_suggestion(const std::string& word) const;

  struct Impl;

 private:
  friend struct IndexAccess;  // core's search reaches the Xapian side (core/src/index_internal.hpp)
  std::unique_ptr<Impl> impl_;
};

// Points the index at dir back to its previous generation (the one the last rebuild or
// keep_previous run swapped out), for when an update went wrong. The generation left stays on
// disk until the next swap deletes it. Takes the live generation's write lock for the swap.
// Throws Error: not_found (no previous generation on disk), index_locked (an indexer is running),
// index_unavailable (no index at dir, or a stub naming shards), index_corrupt, io_error.
struct Rollback {
  std::string from, to;  // generation names, "gen-N"
};
Rollback rollback_generation(const std::filesystem::path& dir);

// 64-bit FNV-1a of the record's content (without the list of input files).
std::uint64_t content_hash(const Study& s);

}  // namespace evidence
