#pragma once
// Shared by the baselines (baseline_xapian, baseline_fts5): the input files, the text of an XML
// element, the query mix and the latency table, so both baselines read and measure alike.
// Header-only on purpose: the baselines link nothing of ours.
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace baseline {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Every .xml file under the paths (a file named explicitly is always read), in name order.
inline std::vector<fs::path> xml_files(const std::vector<std::string>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() == ".xml") found.push_back(e.path());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p)) {
      out.emplace_back(p);
    } else {
      throw std::runtime_error("no such file or directory: " + p);
    }
  }
  return out;
}

inline std::string all_text(const pugi::xml_node& n) {
  std::string out;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
    else if (c.type() == pugi::node_element)
      out += all_text(c);
  }
  return out;
}

// The words of bench/query_bench.cpp's mix; its field-syntax queries become their words.
const std::vector<std::pair<std::string, std::string>> query_mix = {
    {"free text", "pain relief in older adults"},
    {"free text", "\"low back pain\" walking"},
    {"PICO", "electrotherapy chronic LBP efficacy"},
    {"PICO", "does acupuncture help my back"},
    {"PICO", "surgery vs physical therapy spinal stenosis"},
    {"PICO", "exercise chronic low back pain"},
    {"field syntax", "tens rct"},
    {"field syntax", "sciatica"},
};

inline double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// p50/p95/p99 per query class and over all queries.
inline void print_latencies(const std::map<std::string, std::vector<double>>& times, const std::vector<double>& all) {
  for (const auto& [cls, v] : times)
    std::printf("%-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", cls.c_str(), pct(v, .5), pct(v, .95), pct(v, .99));
  std::printf("%-14s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", "all", pct(all, .5), pct(all, .95), pct(all, .99));
}

}  // namespace baseline
