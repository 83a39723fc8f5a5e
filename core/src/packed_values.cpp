#include "packed_values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "evidence/appraisal.hpp"
#include "evidence/index.hpp"
#include "evidence/synthesis.hpp"

namespace evidence {

namespace {

// Concept ids and enum values are [a-z0-9_-]; the separators below can never occur in them.
constexpr char field_sep = '\t';
constexpr char list_sep = ' ';
constexpr std::string_view format = "r1";

void append_list(std::string& out, const std::vector<std::string>& ids) {
  out += '\n';
  bool first = true;
  for (const auto& id : ids) {
    if (!first) out += list_sep;
    out += id;
    first = false;
  }
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto p = s.find(sep);
    if (p != 0) out.emplace_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

void add_unique(std::vector<std::string>& v, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
}

}  // namespace

RankFeatures rank_features_of(const Study& s) {
  RankFeatures f;
  f.id = s.id;
  f.design = s.design;
  f.meta_analysis = s.meta_analysis;
  f.level = evidence_level(s);
  // Kept to two decimals everywhere (slot, columns, this fallback), so every path ranks alike.
  f.quality = s.annotation.quality_score < 0 ? -1 : std::round(s.annotation.quality_score * 100) / 100;
  f.quality_estimated = s.annotation.quality_estimated;
  f.retracted = s.retracted;
  const bool curated =
      std::find(s.annotation.sources.begin(), s.annotation.sources.end(), "curated") != s.annotation.sources.end();
  for (const auto& o : s.outcomes) {
    f.graded = f.graded || (curated && !s.draft && o.direction != Direction::unclear);
    add_unique(f.secondary_interventions, o.intervention);
    add_unique(f.comparators, o.comparator);
  }
  f.reportable = can_report(s);
  for (const auto& a : s.interventions) add_unique(f.interventions, a.concepts);
  for (const auto& a : s.comparators) add_unique(f.comparators, a.concepts);
  add_unique(f.conditions, s.population.conditions);
  return f;
}

std::string serialise_rank_features(const RankFeatures& f) {
  char q[32];
  std::snprintf(q, sizeof q, "%.2f", f.quality);
  std::string out(format);
  for (const std::string& field :
       {f.id, std::string(design_name(f.design)), std::string(f.meta_analysis ? "1" : "0"), std::to_string(f.level),
        std::string(q), std::string(f.quality_estimated ? "1" : "0"), std::string(f.graded ? "1" : "0"),
        std::string(f.retracted ? "1" : "0"), std::string(f.reportable ? "1" : "0")}) {
    out += field_sep;
    out += field;
  }
  append_list(out, f.interventions);
  append_list(out, f.secondary_interventions);
  append_list(out, f.comparators);
  append_list(out, f.conditions);
  return out;
}

std::optional<RankFeatures> parse_rank_features(std::string_view value) {
  // Lines are split by hand: an empty list is an empty line, which split() would drop.
  std::vector<std::string_view> lines;
  while (true) {
    const auto p = value.find('\n');
    lines.push_back(value.substr(0, p));
    if (p == std::string_view::npos) break;
    value.remove_prefix(p + 1);
  }
  if (lines.size() != 5) return std::nullopt;
  const auto head = split(lines[0], field_sep);
  if (head.size() != 10 || head[0] != format) return std::nullopt;
  RankFeatures f;
  f.id = head[1];
  f.design = parse_design(head[2]).value_or(Design::other);
  f.meta_analysis = head[3] == "1";
  if (std::from_chars(head[4].data(), head[4].data() + head[4].size(), f.level).ec != std::errc()) return std::nullopt;
  char* end = nullptr;
  f.quality = std::strtod(head[5].c_str(), &end);
  if (end == head[5].c_str()) return std::nullopt;
  f.quality_estimated = head[6] == "1";
  f.graded = head[7] == "1";
  f.retracted = head[8] == "1";
  f.reportable = head[9] == "1";
  f.interventions = split(lines[1], list_sep);
  f.secondary_interventions = split(lines[2], list_sep);
  f.comparators = split(lines[3], list_sep);
  f.conditions = split(lines[4], list_sep);
  return f;
}

std::string serialise_facets(const std::string& design, const std::string& quality_band, int level, int year,
                             const std::vector<std::string>& interventions, const std::vector<std::string>& conditions,
                             const std::vector<std::string>& outcomes) {
  std::string out;
  auto line = [&](char kind, const std::string& value) {
    if (value.empty()) return;
    out += kind;
    out += value;
    out += '\n';
  };
  line('d', design);
  line('q', quality_band);
  line('l', std::to_string(level));
  line('y', std::to_string(year));
  for (const auto& v : interventions) line('i', v);
  for (const auto& v : conditions) line('c', v);
  for (const auto& v : outcomes) line('o', v);
  return out;
}

}  // namespace evidence
