#include "evidence/vocabulary.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "evidence/errors.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

std::string term_key(std::string_view term) {
  std::string key;
  for (const auto& t : tokenize(term)) {
    if (!key.empty()) key += ' ';
    key += t.folded;
  }
  return key;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
}  // namespace

Vocabulary Vocabulary::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::io_error, "cannot read vocabulary file " + file.string());
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_argument, file.string() + ": not valid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_argument, file.string() + ": unexpected shape: " + e.what());
  }
}

Vocabulary Vocabulary::from_json(const json& j) {
  Vocabulary v;
  v.version_ = j.value("version", "");
  auto strs = [](const json& c, const char* k) {
    auto it = c.find(k);
    return it == c.end() ? std::vector<std::string>{} : it->get<std::vector<std::string>>();
  };
  for (const auto& c : j.at("concepts")) {
    Concept k;
    k.id = c.at("id").get<std::string>();
    k.kind = c.at("kind").get<std::string>();
    k.preferred = c.at("preferred").get<std::string>();
    k.plain = c.value("plain", k.preferred);
    k.synonyms = strs(c, "synonyms");
    k.abbreviations = strs(c, "abbreviations");
    k.variants = strs(c, "variants");
    if (auto it = c.find("lay"); it != c.end())
      for (const auto& l : *it) k.lay.push_back({l.at("term").get<std::string>(), l.at("source").get<std::string>()});
    k.parents = strs(c, "parents");
    if (auto it = c.find("alternatives"); it != c.end())
      for (const auto& a : *it)
        k.alternatives.push_back({a.at("concept").get<std::string>(), a.at("source").get<std::string>()});
    if (auto it = c.find("mesh"); it != c.end())
      for (const auto& m : *it) k.mesh.push_back({m.at("ui").get<std::string>(), m.value("heading", "")});
    if (auto it = c.find("mid"); it != c.end())
      k.mid = MinimalImportantDifference{it->at("value").get<double>(), it->at("scale_min").get<double>(),
                                         it->at("scale_max").get<double>(), it->value("source", "")};
    v.concepts_.push_back(std::move(k));
  }
  v.build_indexes();
  return v;
}

void Vocabulary::build_indexes() {
  for (std::size_t i = 0; i < concepts_.size(); ++i) {
    const Concept& c = concepts_[i];
    by_id_.emplace(c.id, i);
    // Terms annotate records and read questions; lay terms only read questions.
    auto index_term = [&](const std::string& t, std::unordered_map<std::string, std::size_t>& terms,
                          std::unordered_set<std::string>& prefixes) {
      const std::string key = term_key(t);
      if (key.empty()) return std::string();
      terms.emplace(key, i);  // first claim wins; check() reports the conflict
      for (std::size_t sp = key.find(' '); sp != std::string::npos; sp = key.find(' ', sp + 1))
        prefixes.insert(key.substr(0, sp));
      prefixes.insert(key);
      return key;
    };
    auto add_term = [&](const std::string& t) {
      for (const auto& w : split_words(index_term(t, by_term_, term_prefixes_))) term_words_.insert(w);
    };
    add_term(c.preferred);
    for (const auto& l : c.lay) index_term(l.term, by_lay_term_, lay_prefixes_);
    for (const auto& t : c.synonyms) add_term(t);
    for (const auto& t : c.variants) add_term(t);
    for (const auto& a : c.abbreviations) {
      by_abbrev_.emplace(a, i);
      by_abbrev_lower_.emplace(lower(a), i);
      // Lower-case abbreviations ("physio") are ordinary words in running text too.
      if (a == lower(a)) add_term(a);
    }
  }
  for (std::size_t i = 0; i < concepts_.size(); ++i)
    for (const auto& p : concepts_[i].parents) children_[p].push_back(i);
  // is_a() is on the hot path of annotation and synthesis: precompute each closure once.
  for (const auto& c : concepts_) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::vector<std::string> stack{c.id};
    while (!stack.empty() && out.size() < 1000) {  // the bound guards against cycles, which check() reports
      std::string cur = std::move(stack.back());
      stack.pop_back();
      if (!seen.insert(cur).second) continue;
      out.push_back(cur);
      if (auto it = by_id_.find(cur); it != by_id_.end())
        for (const auto& p : concepts_[it->second].parents) stack.push_back(p);
    }
    ancestors_[c.id] = std::move(out);
  }
}

std::vector<std::string> Vocabulary::check() const {
  std::vector<std::string> problems;
  std::unordered_map<std::string, std::string> owner;
  std::set<std::string> ids;
  for (const auto& c : concepts_) {
    if (!ids.insert(c.id).second) problems.push_back("concept id '" + c.id + "' is defined twice");
    for (const auto& p : c.parents)
      if (!by_id_.count(p)) problems.push_back("concept '" + c.id + "' has unknown parent '" + p + "'");
    for (const auto& a : c.alternatives) {
      const auto it = by_id_.find(a.concept_id);
      if (it == by_id_.end() || concepts_[it->second].kind != "intervention" || c.kind != "intervention" ||
          a.concept_id == c.id)
        problems.push_back("concept '" + c.id + "' has alternative '" + a.concept_id +
                           "', which is not another intervention of the vocabulary (or it is not one itself)");
    }
    std::vector<std::string> forms{c.preferred};
    forms.insert(forms.end(), c.synonyms.begin(), c.synonyms.end());
    forms.insert(forms.end(), c.variants.begin(), c.variants.end());
    for (const auto& a : c.abbreviations) forms.push_back(a);
    for (const auto& f : forms) {
      const std::string key = term_key(f);
      if (key.empty()) {
        problems.push_back("concept '" + c.id + "' has a term with no words: '" + f + "'");
        continue;
      }
      auto [it, fresh] = owner.emplace(key, c.id);
      if (!fresh && it->second != c.id)
        problems.push_back("term '" + f + "' is claimed by both '" + it->second + "' and '" + c.id + "'");
    }
  }
  // Cycles: depth-first search with colours over parent links.
  std::unordered_map<std::string, int> colour;
  std::function<bool(const std::string&)> visit = [&](const std::string& id) {
    int& col = colour[id];
    if (col == 1) return true;
    if (col == 2) return false;
    col = 1;
    if (const Concept* c = find(id))
      for (const auto& p : c->parents)
        if (visit(p)) return true;
    colour[id] = 2;
    return false;
  };
  for (const auto& c : concepts_)
    if (colour[c.id] == 0 && visit(c.id)) problems.push_back("parent links form a cycle through '" + c.id + "'");
  return problems;
}

const Concept* Vocabulary::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &concepts_[it->second];
}

std::vector<std::string> Vocabulary::descendants(std::string_view id) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<std::string> stack{std::string(id)};
  while (!stack.empty()) {
    std::string cur = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(cur).second) continue;
    out.push_back(cur);
    if (auto it = children_.find(cur); it != children_.end())
      for (std::size_t i : it->second) stack.push_back(concepts_[i].id);
  }
  return out;
}

std::vector<std::string> Vocabulary::ancestors(std::string_view id) const {
  if (auto it = ancestors_.find(std::string(id)); it != ancestors_.end()) return it->second;
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<std::string> stack{std::string(id)};
  while (!stack.empty()) {
    std::string cur = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(cur).second) continue;
    out.push_back(cur);
    if (const Concept* c = find(cur))
      for (const auto& p : c->parents) stack.push_back(p);
  }
  return out;
}

bool Vocabulary::is_a(std::string_view id, std::string_view ancestor) const {
  if (id == ancestor) return true;
  auto it = ancestors_.find(std::string(id));
  if (it == ancestors_.end()) return false;
  return std::find(it->second.begin(), it->second.end(), ancestor) != it->second.end();
}

ComparatorKind Vocabulary::comparator_kind(std::string_view id) const {
  if (is_a(id, "placebo")) return ComparatorKind::placebo_sham;
  if (is_a(id, "usual_care")) return ComparatorKind::usual_care;
  if (is_a(id, "no_treatment") || is_a(id, "minimal_intervention")) return ComparatorKind::no_treatment;
  return ComparatorKind::active;
}

ComparatorKind Vocabulary::comparator_kind(const std::vector<std::string>& ids) const {
  std::set<ComparatorKind> kinds;
  for (const auto& id : ids) kinds.insert(comparator_kind(id));
  return kinds.size() == 1 ? *kinds.begin() : ComparatorKind::mixed;
}

std::vector<ConceptMatch> Vocabulary::match(std::string_view text, bool ci) const {
  return match_tokens(tokenize(text), ci);
}

bool Vocabulary::has_term_word(std::string_view folded) const { return term_words_.count(std::string(folded)) > 0; }

std::string Vocabulary::closest_word(std::string_view folded) const {
  const std::string w(folded);
  if (has_term_word(w)) return w;
  if (w.size() < 5) return {};
  const std::size_t limit = w.size() >= 9 ? 2 : 1;
  std::string best;
  std::size_t best_distance = limit + 1;
  bool tie = false;
  for (const auto& candidate : term_words_) {
    if (candidate.size() < 4) continue;
    const std::size_t d = edit_distance(w, candidate, limit);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
      tie = false;
    } else if (d == best_distance && d <= limit) {
      tie = true;
    }
  }
  return best_distance <= limit && !tie ? best : std::string();
}

std::vector<ConceptMatch> Vocabulary::match_tokens(const std::vector<Token>& tokens, bool ci, bool lay) const {
  std::vector<ConceptMatch> out;
  std::size_t i = 0;
  while (i < tokens.size()) {
    bool hit = false;
    // Longest match by extending the phrase one word at a time while it is still the start of
    // some term: one hash lookup per word, instead of building and hashing every candidate
    // length at every position (which dominated indexing time before).
    std::string key;
    std::size_t best_len = 0, best = 0;
    for (std::size_t len = 1; i + len <= tokens.size(); ++len) {
      if (len > 1) key += ' ';
      key += tokens[i + len - 1].folded;
      const bool term_prefix = term_prefixes_.count(key) > 0;
      if (!term_prefix && !(lay && lay_prefixes_.count(key))) break;
      if (auto it = by_term_.find(key); term_prefix && it != by_term_.end()) {
        best_len = len;
        best = it->second;
      } else if (auto l = by_lay_term_.find(key); lay && l != by_lay_term_.end()) {
        best_len = len;
        best = l->second;
      }
    }
    if (best_len > 0) {
      std::string matched = tokens[i].original;
      for (std::size_t k = 1; k < best_len; ++k) matched += ' ' + tokens[i + k].original;
      out.push_back({concepts_[best].id, i, i + best_len, matched});
      i += best_len;
      hit = true;
    }
    if (hit) continue;
    // Abbreviations, with a plural "s" allowed ("RCTs", "NSAIDs").
    const std::string& w = tokens[i].original;
    auto find_abbrev = [&](const std::string& s) -> const std::size_t* {
      if (auto it = by_abbrev_.find(s); it != by_abbrev_.end()) return &it->second;
      if (ci)
        if (auto it = by_abbrev_lower_.find(lower(s)); it != by_abbrev_lower_.end()) return &it->second;
      return nullptr;
    };
    const std::size_t* idx = find_abbrev(w);
    if (!idx && w.size() > 2 && (w.back() == 's')) idx = find_abbrev(w.substr(0, w.size() - 1));
    if (idx) out.push_back({concepts_[*idx].id, i, i + 1, w});
    ++i;
  }
  return out;
}

std::vector<std::string> Vocabulary::terms(std::string_view id) const {
  std::vector<std::string> out;
  const Concept* c = find(id);
  if (!c) return out;
  std::set<std::string> seen;
  auto add = [&](const std::string& t) {
    std::string n = normalise(t);
    if (!n.empty() && seen.insert(n).second) out.push_back(n);
  };
  add(c->preferred);
  for (const auto& t : c->synonyms) add(t);
  for (const auto& t : c->variants) add(t);
  for (const auto& t : c->abbreviations) add(t);
  return out;
}

std::vector<const Concept*> Vocabulary::complete(std::string_view prefix, std::size_t limit) const {
  const std::string p = normalise(prefix);
  std::vector<std::pair<int, const Concept*>> scored;
  if (p.empty()) return {};
  for (const auto& c : concepts_) {
    int best = -1;
    auto score = [&](const std::string& t, int base) {
      const std::string n = normalise(t);
      if (n.rfind(p, 0) == 0)
        best = std::max(best, base + (n.size() == p.size() ? 50 : 0));
      else if (n.find(" " + p) != std::string::npos)
        best = std::max(best, base - 20);
    };
    score(c.preferred, 100);
    score(c.plain, 90);
    for (const auto& a : c.abbreviations) score(a, 95);
    for (const auto& s : c.synonyms) score(s, 80);
    if (best >= 0) scored.emplace_back(best, &c);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const Concept*> out;
  for (const auto& [s, c] : scored) {
    if (out.size() >= limit) break;
    out.push_back(c);
  }
  return out;
}

const Concept* Vocabulary::lookup(std::string_view text) const {
  if (const Concept* c = find(text)) return c;
  const std::string key = term_key(text);
  if (auto it = by_term_.find(key); it != by_term_.end()) return &concepts_[it->second];
  if (auto it = by_abbrev_lower_.find(lower(std::string(text))); it != by_abbrev_lower_.end())
    return &concepts_[it->second];
  return nullptr;
}

bool is_versus_word(std::string_view w) {
  return w == "versus" || w == "vs" || w == "v" || w == "compared" || w == "comparing" || w == "against" ||
         w == "than" || w == "instead";
}

std::string_view duration_of_condition(std::string_view id) {
  if (id == "chronic_low_back_pain") return "chronic";
  if (id == "acute_low_back_pain") return "acute";
  if (id == "subacute_low_back_pain") return "subacute";
  return {};
}

}  // namespace evidence
