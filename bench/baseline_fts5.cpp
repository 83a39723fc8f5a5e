// baseline_fts5: the same records and query mix as bench/baseline_xapian.cpp, in SQLite FTS5,
// for a second reference point. One FTS5 table (pmid unindexed, title, abstract) with the porter
// tokenizer, all rows inserted in one transaction; search is MATCH with the words joined by AND
// (quoted phrases kept), ORDER BY rank (BM25) LIMIT 10. Only PubMed XML files (.xml) are read.
//
//   baseline_fts5 index --db /tmp/bf.sqlite /tmp/gen10k   prints records/s, seconds, file size
//   baseline_fts5 search --db /tmp/bf.sqlite --rounds 20  prints p50/p95/p99 ms
#include <pugixml.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "baseline_common.hpp"

namespace fs = std::filesystem;

namespace {

using baseline::all_text;
using baseline::Clock;
using baseline::pct;
using baseline::seconds_since;
using baseline::xml_files;

// A connection that closes itself; every call is checked.
class Db {
 public:
  Db(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error(path + ": " + msg);
    }
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw std::runtime_error(std::string(sql).substr(0, 60) + ": " + msg);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sql) + ": " + sqlite3_errmsg(db_));
    return st;
  }
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
      throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_ = nullptr;
};

int index_command(const std::string& db_path, const std::vector<std::string>& inputs) {
  const auto files = xml_files(inputs);
  std::error_code ec;
  fs::remove(db_path, ec);  // a fresh index each run, like DB_CREATE_OR_OVERWRITE
  const auto t0 = Clock::now();
  Db db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("CREATE VIRTUAL TABLE docs USING fts5(pmid UNINDEXED, title, abstract, tokenize = 'porter unicode61')");
  db.exec("BEGIN");
  sqlite3_stmt* ins = db.prepare("INSERT INTO docs(pmid, title, abstract) VALUES (?1, ?2, ?3)");
  std::uint64_t records = 0, input_bytes = 0;
  for (const auto& file : files) {
    pugi::xml_document doc;
    const pugi::xml_parse_result res = doc.load_file(file.c_str());
    if (!res) throw std::runtime_error(file.string() + ": " + res.description());
    input_bytes += fs::file_size(file);
    for (pugi::xml_node pa : doc.child("PubmedArticleSet").children("PubmedArticle")) {
      const pugi::xml_node mc = pa.child("MedlineCitation");
      const pugi::xml_node art = mc.child("Article");
      const std::string pmid = mc.child("PMID").text().as_string();
      if (pmid.empty()) continue;
      const std::string title = all_text(art.child("ArticleTitle"));
      std::string abstract;
      for (pugi::xml_node t : art.child("Abstract").children("AbstractText")) {
        if (!abstract.empty()) abstract += '\n';
        abstract += all_text(t);
      }
      sqlite3_bind_text(ins, 1, pmid.data(), static_cast<int>(pmid.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 2, title.data(), static_cast<int>(title.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 3, abstract.data(), static_cast<int>(abstract.size()), SQLITE_STATIC);
      db.check(sqlite3_step(ins), "insert");
      sqlite3_reset(ins);
      ++records;
    }
  }
  sqlite3_finalize(ins);
  const auto t_commit = Clock::now();
  db.exec("COMMIT");
  const double commit_s = seconds_since(t_commit);
  const double secs = seconds_since(t0);
  const auto size = fs::file_size(db_path);
  std::printf(
      "baseline_fts5 index: %llu records from %zu files (%.1f MB XML) in %.2f s: %.0f records/s (commit %.2f s)\n",
      static_cast<unsigned long long>(records), files.size(), static_cast<double>(input_bytes) / 1e6, secs,
      static_cast<double>(records) / secs, commit_s);
  std::printf("database size %.1f MB (%llu bytes, %.0f bytes/record) in %s\n", static_cast<double>(size) / 1e6,
              static_cast<unsigned long long>(size),
              records ? static_cast<double>(size) / static_cast<double>(records) : 0.0, db_path.c_str());
  std::printf("reproduce: baseline_fts5 index --db %s", db_path.c_str());
  for (const auto& i : inputs) std::printf(" %s", i.c_str());
  std::printf("\n");
  return 0;
}

using baseline::query_mix;

// "\"low back pain\" walking" -> "\"low back pain\" AND \"walking\"": every word quoted, so no
// word is read as an FTS5 operator or column name.
std::string fts5_query(const std::string& q) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < q.size()) {
    if (q[i] == ' ') {
      ++i;
    } else if (q[i] == '"') {
      const std::size_t end = q.find('"', i + 1);
      const std::string phrase = q.substr(i + 1, (end == std::string::npos ? q.size() : end) - i - 1);
      if (!phrase.empty()) parts.push_back("\"" + phrase + "\"");
      i = end == std::string::npos ? q.size() : end + 1;
    } else {
      std::size_t end = q.find_first_of(" \"", i);
      if (end == std::string::npos) end = q.size();
      std::string w;
      for (std::size_t k = i; k < end; ++k)
        if (std::isalnum(static_cast<unsigned char>(q[k]))) w += q[k];
      if (!w.empty()) parts.push_back("\"" + w + "\"");
      i = end;
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " AND ") + p;
  return out;
}

int search_command(const std::string& db_path, int rounds) {
  if (!fs::is_regular_file(db_path))
    throw std::runtime_error("no database at " + db_path + " (run baseline_fts5 index first)");
  Db db(db_path, SQLITE_OPEN_READONLY);
  sqlite3_stmt* top = db.prepare("SELECT pmid, title FROM docs WHERE docs MATCH ?1 ORDER BY rank LIMIT 10");
  sqlite3_stmt* count = db.prepare("SELECT count(*) FROM docs WHERE docs MATCH ?1");
  sqlite3_stmt* rows = db.prepare("SELECT count(*) FROM docs");
  db.check(sqlite3_step(rows), "count");
  const auto n_rows = sqlite3_column_int64(rows, 0);
  sqlite3_finalize(rows);
  std::map<std::string, std::vector<double>> times;
  std::vector<double> all;
  std::size_t sink = 0;
  for (int r = 0; r < rounds; ++r)
    for (const auto& [cls, q] : query_mix) {
      const std::string fq = fts5_query(q);
      const auto t0 = Clock::now();
      sqlite3_bind_text(top, 1, fq.data(), static_cast<int>(fq.size()), SQLITE_TRANSIENT);
      int rc;
      while ((rc = sqlite3_step(top)) == SQLITE_ROW) {
        sink += static_cast<std::size_t>(sqlite3_column_bytes(top, 0));
        sink += static_cast<std::size_t>(sqlite3_column_bytes(top, 1));
      }
      db.check(rc, fq.c_str());
      sqlite3_reset(top);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      times[cls].push_back(ms);
      all.push_back(ms);
      if (r == 0) {  // the number of matches, counted outside the timing
        sqlite3_bind_text(count, 1, fq.data(), static_cast<int>(fq.size()), SQLITE_TRANSIENT);
        db.check(sqlite3_step(count), "count");
        const auto found = sqlite3_column_int64(count, 0);
        sqlite3_reset(count);
        std::printf("  %-45s found %7lld  %7.2f ms   MATCH %s\n", q.c_str(), static_cast<long long>(found), ms,
                    fq.c_str());
      }
    }
  sqlite3_finalize(top);
  sqlite3_finalize(count);
  std::printf("records %lld, rounds %d, top 10 by rank (%zu bytes of results read)\n", static_cast<long long>(n_rows),
              rounds, sink);
  baseline::print_latencies(times, all);
  std::printf("reproduce: baseline_fts5 search --db %s --rounds %d\n", db_path.c_str(), rounds);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: baseline_fts5 index --db FILE FILES_OR_DIRS...\n"
               "       baseline_fts5 search --db FILE [--rounds N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  std::string db;
  int rounds = 20;
  std::vector<std::string> inputs;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--db" && i + 1 < argc)
      db = argv[++i];
    else if (a == "--rounds" && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else if (!a.empty() && a[0] == '-')
      return std::fprintf(stderr, "baseline_fts5: unknown option %s\n", a.c_str()), usage();
    else
      inputs.push_back(a);
  }
  if (db.empty() || rounds < 1) return usage();
  if (cmd == "index") return inputs.empty() ? usage() : index_command(db, inputs);
  if (cmd == "search") return inputs.empty() ? search_command(db, rounds) : usage();
  return usage();
} catch (const std::exception& e) {
  std::fprintf(stderr, "baseline_fts5: %s\n", e.what());
  return 2;
}
