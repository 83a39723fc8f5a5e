// Query latency through the library: a fixed mix of free text, PICO questions, field syntax and
// filters, each with facets and the graded summary, run against an existing index.
// Prints p50/p95/p99 per query class and the command that reproduces the run.
//   query_bench --db DIR [--rounds N]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <map>

#include "evidence/errors.hpp"
#include "evidence/search.hpp"

int main(int argc, char** argv) try {
  std::string db;
  int rounds = 20;
  bool summary = true;
  std::size_t facet_sample = evidence::SearchRequest{}.facet_sample,
              rescore_depth = evidence::SearchRequest{}.rescore_depth,
              complete_depth = evidence::SearchRequest{}.complete_depth;
  CLI::App app{"query_bench: search latency over an index (library, no HTTP)"};
  app.add_option("--db", db, "index directory")->required();
  app.add_option("--rounds", rounds, "times each query is run");
  app.add_flag("!--no-summary", summary, "skip the graded summary");
  app.add_option("--facet-sample", facet_sample, "records counted exactly for facets before Xapian may stop");
  app.add_option("--rescore-depth", rescore_depth, "BM25 candidates rescored with evidence strength (no summary)");
  app.add_option("--complete-depth", complete_depth,
                 "best matches with every concept of the question added to the candidates (0: none)");
  std::vector<std::string> only;
  app.add_option("--query", only, "run these queries instead of the fixed mix (repeatable)");
  CLI11_PARSE(app, argc, argv);
  const auto vocab = evidence::Vocabulary::load(std::string(EVIDENCE_SOURCE_DIR) + "/schema/vocabulary.json");
  evidence::IndexReader reader(db);
  std::vector<std::pair<std::string, std::string>> mix = {
      {"free text", "pain relief in older adults"},
      {"free text", "\"low back pain\" walking"},
      {"PICO", "electrotherapy chronic LBP efficacy"},
      {"PICO", "does acupuncture help my back"},
      {"PICO", "surgery vs physical therapy spinal stenosis"},
      {"PICO", "exercise chronic low back pain"},
      {"field syntax", "intervention:tens design:rct year:2000..2024"},
      {"field syntax", "condition:sciatica quality:6.."},
  };
  if (!only.empty()) {
    mix.clear();
    for (const auto& q : only) mix.emplace_back("custom", q);
  }
  // The first search of an index revision decodes its facet and ranking columns
  // (doc_columns.hpp); it is reported on its own and not counted in the percentiles.
  {
    evidence::SearchRequest req;
    req.q = mix.front().second;
    const auto t0 = std::chrono::steady_clock::now();
    evidence::search(reader, vocab, req);
    std::printf("first search after opening the index: %.1f ms\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::map<std::string, std::vector<double>> times;
  std::vector<double> all, first_round;
  std::map<std::string, std::pair<std::uint64_t, std::vector<double>>> per_query;
  std::map<std::string, double> phase_total;
  for (int r = 0; r < rounds; ++r)
    for (const auto& [cls, q] : mix) {
      evidence::SearchRequest req;
      req.q = q;
      req.with_summary = summary;
      req.facet_sample = facet_sample;
      req.rescore_depth = rescore_depth;
      req.complete_depth = complete_depth;
      const auto t0 = std::chrono::steady_clock::now();
      const auto resp = evidence::search(reader, vocab, req);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      times[cls].push_back(ms);
      for (const auto& [name, t] : resp.phases) phase_total[name] += t;
      all.push_back(ms);
      if (r == 0) first_round.push_back(ms);
      per_query[q].first = resp.found;
      per_query[q].second.push_back(ms);
    }
  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
  };
  // Each query's median over the rounds: a comparison per query is then not one noisy sample.
  for (const auto& [cls, q] : mix)
    if (auto it = per_query.find(q); it != per_query.end()) {
      std::printf("  %-45s found %6llu  median %7.2f ms\n", q.c_str(),
                  static_cast<unsigned long long>(it->second.first), pct(it->second.second, .5));
      per_query.erase(it);
    }
  std::printf("records %llu, rounds %d, summary %s\n", static_cast<unsigned long long>(reader.doc_count()), rounds,
              summary ? "on" : "off");
  for (const auto& [cls, v] : times)
    std::printf("%-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", cls.c_str(), pct(v, .5), pct(v, .95), pct(v, .99));
  std::printf("%-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", "all", pct(all, .5), pct(all, .95), pct(all, .99));
  // Each question asked for the first time (later rounds may find Xapian's blocks and the
  // allocator's memory warmer).
  std::printf("%-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", "first round", pct(first_round, .5),
              pct(first_round, .95), pct(first_round, .99));
  std::printf("mean per query by phase:");
  for (const auto& [name, t] : phase_total)
    std::printf(" %s %.2f ms", name.c_str(), t / static_cast<double>(all.size()));
  std::printf("\n");
  std::printf("reproduce: %s --db %s --rounds %d%s\n", argv[0], db.c_str(), rounds, summary ? "" : " --no-summary");
  return 0;
} catch (const evidence::Error& e) {
  std::fprintf(stderr, "query_bench: %s\n", e.what());
  return 2;
}
