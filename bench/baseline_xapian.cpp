// baseline_xapian: the floor for our indexing and search cost. A minimal indexer and searcher
// written straight against libxapian, single-threaded, the way Xapian's getting-started examples
// (index1/search1) do it: pugixml reads the PubMed XML, a TermGenerator with the English stemmer
// indexes title (also with prefix S) and abstract, a Q term holds the PMID, replace_document,
// default settings, one commit at the end. Search is a plain QueryParser query (default op AND,
// STEM_SOME) over the words of bench/query_bench.cpp's mix, top 10, no facets, no rescoring.
// Only the PubMed XML files are read (.xml; curated JSON Lines are skipped).
//
//   baseline_xapian index --db /tmp/bx /tmp/gen10k     prints records/s, seconds, index size
//   baseline_xapian search --db /tmp/bx --rounds 20    prints p50/p95/p99 ms
#include <pugixml.hpp>
#include <xapian.h>

#include <algorithm>
#include <chrono>
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

std::uintmax_t tree_size(const fs::path& p) {
  if (fs::is_regular_file(p)) return fs::file_size(p);
  std::uintmax_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

int index_command(const std::string& db_path, const std::vector<std::string>& inputs) {
  const auto files = xml_files(inputs);
  const auto t0 = Clock::now();
  Xapian::WritableDatabase db(db_path, Xapian::DB_CREATE_OR_OVERWRITE);
  Xapian::TermGenerator tg;
  tg.set_stemmer(Xapian::Stem("en"));
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
      Xapian::Document d;
      tg.set_document(d);
      tg.index_text(title, 1, "S");
      tg.index_text(title);
      tg.increase_termpos();
      tg.index_text(abstract);
      d.set_data(pmid + "\n" + title);
      const std::string id_term = "Q" + pmid;
      d.add_boolean_term(id_term);
      db.replace_document(id_term, d);
      ++records;
    }
  }
  const auto t_commit = Clock::now();
  db.commit();
  const double commit_s = seconds_since(t_commit);
  db.close();
  const double secs = seconds_since(t0);
  const auto size = tree_size(db_path);
  std::printf(
      "baseline_xapian index: %llu records from %zu files (%.1f MB XML) in %.2f s: %.0f records/s (commit %.2f s)\n",
      static_cast<unsigned long long>(records), files.size(), static_cast<double>(input_bytes) / 1e6, secs,
      static_cast<double>(records) / secs, commit_s);
  std::printf("index size %.1f MB (%llu bytes, %.0f bytes/record) in %s\n", static_cast<double>(size) / 1e6,
              static_cast<unsigned long long>(size),
              records ? static_cast<double>(size) / static_cast<double>(records) : 0.0, db_path.c_str());
  std::printf("reproduce: baseline_xapian index --db %s", db_path.c_str());
  for (const auto& i : inputs) std::printf(" %s", i.c_str());
  std::printf("\n");
  return 0;
}

using baseline::query_mix;

int search_command(const std::string& db_path, int rounds) {
  Xapian::Database db(db_path);
  Xapian::QueryParser qp;
  qp.set_stemmer(Xapian::Stem("en"));
  qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  qp.set_database(db);
  qp.set_default_op(Xapian::Query::OP_AND);
  std::map<std::string, std::vector<double>> times;
  std::vector<double> all;
  std::size_t sink = 0;
  for (int r = 0; r < rounds; ++r)
    for (const auto& [cls, q] : query_mix) {
      const auto t0 = Clock::now();
      Xapian::Enquire enquire(db);
      enquire.set_query(qp.parse_query(q));
      const Xapian::MSet mset = enquire.get_mset(0, 10);
      for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) sink += it.get_document().get_data().size();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      times[cls].push_back(ms);
      all.push_back(ms);
      if (r == 0)
        std::printf("  %-45s found %7u  %7.2f ms\n", q.c_str(), static_cast<unsigned>(mset.get_matches_estimated()),
                    ms);
    }
  std::printf("records %u, rounds %d, top 10, no facets (%zu bytes of results read)\n",
              static_cast<unsigned>(db.get_doccount()), rounds, sink);
  baseline::print_latencies(times, all);
  std::printf("reproduce: baseline_xapian search --db %s --rounds %d\n", db_path.c_str(), rounds);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: baseline_xapian index --db DIR FILES_OR_DIRS...\n"
               "       baseline_xapian search --db DIR [--rounds N]\n");
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
      return std::fprintf(stderr, "baseline_xapian: unknown option %s\n", a.c_str()), usage();
    else
      inputs.push_back(a);
  }
  if (db.empty() || rounds < 1) return usage();
  if (cmd == "index") return inputs.empty() ? usage() : index_command(db, inputs);
  if (cmd == "search") return inputs.empty() ? search_command(db, rounds) : usage();
  return usage();
} catch (const Xapian::Error& e) {
  std::fprintf(stderr, "baseline_xapian: %s\n", e.get_description().c_str());
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "baseline_xapian: %s\n", e.what());
  return 2;
}
