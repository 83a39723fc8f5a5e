#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "evidence/appraisal.hpp"
#include "evidence/index.hpp"
#include "evidence/ingest.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace {

const std::set<std::string> negators = {"no", "not", "without", "excluding", "excluded", "exclude", "non"};

struct TextMatches {
  std::vector<Token> tokens;
  std::vector<ConceptMatch> matches;
};

TextMatches match_text(const Vocabulary& v, const std::string& text) {
  TextMatches t;
  t.tokens = tokenize(text);
  t.matches = v.match_tokens(t.tokens, false);
  return t;
}

// "non" negates only the word it joins ("non-surgical care"): in "non-specific chronic low back
// pain" or "non-radicular low back pain" the condition is the one studied.
bool negated(const TextMatches& t, const ConceptMatch& m) {
  const std::size_t from = m.begin >= 3 ? m.begin - 3 : 0;
  for (std::size_t i = from; i < m.begin; ++i)
    if (negators.count(t.tokens[i].folded) && (t.tokens[i].folded != "non" || i + 1 == m.begin)) return true;
  return false;
}

// A treatment's name followed by a measure ("walking ability", "exercise capacity", "walking
// speed") is a function that was measured, not a treatment that was given.
const std::set<std::string> measure_nouns = {"ability", "capacity", "tolerance",  "speed",      "distance",
                                             "test",    "time",     "difficulty", "limitation", "disturbance"};
bool measured(const TextMatches& t, const ConceptMatch& m) {
  return m.end < t.tokens.size() && measure_nouns.count(t.tokens[m.end].folded) > 0;
}

void push_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Words of running text for the size and result patterns below. std::regex was the first
// implementation; it cost more than the rest of annotation together (a backtracking matcher and
// a locale lookup per character), so the patterns are matched over this word list instead.
struct Word {
  std::string lower;
  bool number = false;        // digits, or digits grouped by commas ("1,234")
  bool ws_before = false;     // only white space (at least one character) since the previous word
  bool tight_before = false;  // nothing at all since the previous word
};

std::vector<Word> scan_words(const std::string& text) {
  std::vector<Word> out;
  std::size_t i = 0, prev_end = 0;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < text.size()) {
    const char c = text[i];
    if (!alnum(c) && c != '=') {
      ++i;
      continue;
    }
    Word w;
    bool only_ws = true;
    for (std::size_t k = prev_end; k < i; ++k) only_ws = only_ws && std::isspace(static_cast<unsigned char>(text[k]));
    w.ws_before = only_ws && i > prev_end;
    w.tight_before = i == prev_end;
    std::size_t j = i;
    if (c == '=') {
      j = i + 1;
    } else {
      while (j < text.size() && alnum(text[j])) ++j;
      bool all_digits = true;
      for (std::size_t k = i; k < j; ++k) all_digits = all_digits && digit(text[k]);
      w.number = all_digits;
      // Thousands separators: 1,234,567 (groups of exactly three digits).
      if (all_digits && j - i <= 3)
        while (j + 3 < text.size() + 0 && text[j] == ',' && digit(text[j + 1]) && digit(text[j + 2]) &&
               digit(text[j + 3]) && (j + 4 >= text.size() || !alnum(text[j + 4])))
          j += 4;
    }
    w.lower = text.substr(i, j - i);
    for (auto& ch : w.lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.push_back(std::move(w));
    prev_end = i = j;
  }
  return out;
}

bool starts_with_any(const std::string& w, std::initializer_list<const char*> prefixes) {
  for (const char* p : prefixes)
    if (w.rfind(p, 0) == 0) return true;
  return false;
}

bool is_one_of(const std::string& w, std::initializer_list<const char*> words) {
  for (const char* p : words)
    if (w == p) return true;
  return false;
}

std::optional<std::int64_t> to_count(const std::string& digits_with_commas) {
  std::string digits;
  for (char c : digits_with_commas)
    if (c != ',') digits += c;
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  return std::stoll(digits);
}

const std::initializer_list<const char*> people = {"patients", "participants", "subjects", "adults",
                                                   "people",   "individuals",  "women",    "men"};

}  // namespace

// Sample size from phrases such as "200 patients were randomised", "randomised 851 adults" or "n = 120".
std::optional<std::int64_t> detail::sample_size(const std::string& text, bool with_n_equals) {
  const std::vector<Word> w = scan_words(text);
  auto accept = [](std::optional<std::int64_t> n) -> std::optional<std::int64_t> {
    if (n && *n >= 4 && *n <= 1000000) return n;
    return std::nullopt;
  };
  // "<n> [adult|older|eligible] patients [up to three words] [were] randomised"
  for (std::size_t i = 0; i + 2 < w.size(); ++i) {
    if (!w[i].number) continue;
    std::size_t k = i + 1;
    if (w[k].ws_before && is_one_of(w[k].lower, {"adult", "older", "eligible"})) ++k;
    if (k >= w.size() || !w[k].ws_before ||
        !is_one_of(w[k].lower, {"patients", "participants", "subjects", "adults", "people", "individuals", "women",
                                "men", "volunteers", "workers", "persons"}))
      continue;
    for (std::size_t j = k + 1; j < w.size() && j <= k + 5 && w[j].ws_before; ++j)
      if (starts_with_any(w[j].lower, {"randomised", "randomized", "enrolled", "included", "recruited", "allocated"})) {
        if (auto n = accept(to_count(w[i].lower))) return n;
        break;
      }
  }
  // "randomised|enrolled|recruited|a total of <n> [word] patients"
  for (std::size_t i = 0; i + 2 < w.size(); ++i) {
    std::size_t k = 0;
    if (starts_with_any(w[i].lower, {"randomised", "randomized"}) || is_one_of(w[i].lower, {"enrolled", "recruited"}))
      k = i + 1;
    else if (w[i].lower == "total" && i + 1 < w.size() && w[i + 1].lower == "of" && w[i + 1].ws_before)
      k = i + 2;
    if (k == 0 || k >= w.size() || !w[k].number || !w[k].ws_before) continue;
    for (std::size_t j = k + 1; j < w.size() && j <= k + 2 && w[j].ws_before; ++j)
      if (starts_with_any(w[j].lower, people)) {
        if (auto n = accept(to_count(w[k].lower))) return n;
        break;
      }
  }
  if (!with_n_equals) return std::nullopt;
  // "n = 120"
  for (std::size_t i = 0; i + 2 < w.size(); ++i)
    if (w[i].lower == "n" && w[i + 1].lower == "=" && w[i + 2].number && w[i + 2].lower.size() >= 2 &&
        w[i + 2].lower.size() <= 6 && w[i + 2].lower.find(',') == std::string::npos &&
        (w[i + 1].ws_before || w[i + 1].tight_before) && (w[i + 2].ws_before || w[i + 2].tight_before))
      if (auto n = accept(to_count(w[i + 2].lower))) return n;
  return std::nullopt;
}

namespace {

// Number of trials a review included: "12 randomised controlled trials", "8 studies".
std::optional<std::int64_t> trial_count(const std::string& text) {
  const std::vector<Word> w = scan_words(text);
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (!w[i].number || w[i].lower.size() > 4 || w[i].lower.find(',') != std::string::npos) continue;
    std::size_t k = i + 1;
    if (w[k].ws_before && starts_with_any(w[k].lower, {"randomised", "randomized"}) && k + 1 < w.size()) ++k;
    if (w[k].ws_before && w[k].lower == "controlled" && k + 1 < w.size()) ++k;
    if (w[k].ws_before && starts_with_any(w[k].lower, {"trials", "studies", "rcts"})) {
      const auto n = to_count(w[i].lower);
      if (n && *n >= 1 && *n <= 5000) return n;
    }
  }
  return std::nullopt;
}

// Phrases that state a result's direction, lower case, matched at word boundaries.
std::vector<std::string> expand(std::initializer_list<const char*> heads, std::initializer_list<const char*> tails) {
  std::vector<std::string> out;
  for (const char* h : heads)
    for (const char* t : tails) out.push_back(std::string(h) + t);
  return out;
}

const std::vector<std::string>& phrases_worse() {
  static const std::vector<std::string> p = {"less effective than", "inferior to", "significantly worse"};
  return p;
}

const std::vector<std::string>& phrases_none() {
  static const std::vector<std::string> p = [] {
    auto v = expand({"no significant ", "no statistically significant "},
                    {"difference", "differences", "improvement", "effect", "benefit"});
    for (const char* s : {"did not differ", "not significantly different", "not superior", "no better than",
                          "no more effective", "similar effect", "similar effects", "similar improvement",
                          "similar improvements", "similar outcome", "similar outcomes"})
      v.emplace_back(s);
    return v;
  }();
  return p;
}

const std::vector<std::string>& phrases_better() {
  static const std::vector<std::string> p = [] {
    auto v =
        expand({"significantly "}, {"greater", "better", "more", "larger", "improved", "reduced", "lower", "superior"});
    for (const char* s : {"more effective than", "superior to", "was effective", "is effective", "were effective",
                          "improved significantly"})
      v.emplace_back(s);
    for (const auto& s : expand({"significant ", "significantly "},
                                {"improvement", "reduction", "benefit", "improvements", "reductions", "benefits"}))
      v.push_back(s);
    return v;
  }();
  return p;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The first sentence (text between full stops, ending in one) that contains one of the phrases.
std::optional<std::string> sentence_with(const std::string& text, const std::string& lower_text,
                                         const std::vector<std::string>& phrases) {
  std::size_t start = 0;
  while (start < lower_text.size()) {
    // A sentence ends at a full stop before a space or the end of the text: the point of "-1.8"
    // or "p=0.03" is not one, and a result quoted up to it would be cut in the middle of a number.
    std::size_t stop = lower_text.find('.', start);
    while (stop != std::string::npos && stop + 1 < lower_text.size() &&
           !std::isspace(static_cast<unsigned char>(lower_text[stop + 1])))
      stop = lower_text.find('.', stop + 1);
    if (stop == std::string::npos) return std::nullopt;  // an unfinished sentence does not count
    const std::string_view sentence(lower_text.data() + start, stop - start);
    for (const auto& p : phrases) {
      for (std::size_t at = sentence.find(p); at != std::string_view::npos; at = sentence.find(p, at + 1)) {
        const bool left = at == 0 || !word_char(sentence[at - 1]);
        const bool right = at + p.size() >= sentence.size() || !word_char(sentence[at + p.size()]);
        if (left && right) return squash_space(std::string_view(text).substr(start, stop - start + 1));
      }
    }
    start = stop + 1;
  }
  return std::nullopt;
}

// The direction of the main result as the abstract's conclusion states it.
std::optional<Direction> direction_from_text(const Study& s, std::string& sentence) {
  std::string text, conclusions;
  for (const auto& sec : s.abstract) {
    const std::string l = normalise(sec.label);
    if (l.find("conclusion") != std::string::npos || l.find("interpretation") != std::string::npos ||
        l.find("result") != std::string::npos || l.find("finding") != std::string::npos)
      text += sec.text + " ";
    // Conclusions are read before results: they carry the authors' overall judgement.
    if (l.find("conclusion") != std::string::npos) conclusions += sec.text + " ";
  }
  if (text.empty()) return std::nullopt;
  for (const std::string* part : {&conclusions, &text}) {
    if (part->empty()) continue;
    std::string lower = *part;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto m = sentence_with(*part, lower, phrases_worse())) {
      sentence = *m;
      return Direction::favours_comparator;
    }
    if (auto m = sentence_with(*part, lower, phrases_none())) {
      sentence = *m;
      return Direction::no_difference;
    }
    if (auto m = sentence_with(*part, lower, phrases_better())) {
      sentence = *m;
      return Direction::favours_intervention;
    }
  }
  return std::nullopt;
}

bool contains_any(const std::string& text, const std::vector<std::string_view>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return text.find(p) != std::string::npos; });
}

// Publication types that name a design, in order of precedence: the first row with one of its
// types present gives the design.
struct DesignByType {
  Design design;
  std::vector<std::string_view> types;
};
const std::vector<DesignByType> designs_by_type = {
    {Design::guideline, {"Practice Guideline", "Guideline"}},
    {Design::systematic_review, {"Systematic Review", "Meta-Analysis"}},
    {Design::rct, {"Randomized Controlled Trial", "Pragmatic Clinical Trial"}},
    {Design::protocol, {"Clinical Trial Protocol"}},
    {Design::non_randomised_trial, {"Controlled Clinical Trial", "Clinical Trial"}},
    {Design::cohort, {"Observational Study"}},
    {Design::case_series, {"Case Reports"}},
    {Design::narrative_review, {"Review"}},
};

// Wording that names a design, in order of precedence: the first row whose text holds one of
// `any` (and, when given, one of `and_any`) gives the design. Phrases are normalised text.
struct DesignByWords {
  Design design;
  bool title_only;  // else the title and the abstract
  std::vector<std::string_view> any, and_any;
};
const std::vector<DesignByWords> designs_by_words = {
    {Design::protocol, true, {"protocol"}, {}},
    {Design::guideline, true, {"guideline"}, {}},
    {Design::systematic_review, true, {"systematic review", "meta analysis", "metaanalysis"}, {}},
    // Random allocation, however it is worded, makes the design a randomised trial.
    {Design::rct,
     false,
     {"randomly assigned", "randomly allocated", "randomly divided", "random allocation", "random assignment",
      "were randomised", "were randomized", "randomised controlled", "randomized controlled", "randomisation",
      "randomization"},
     {}},
    {Design::rct, false, {"randomised", "randomized"}, {"trial", "study"}},
    {Design::cohort, false, {"cohort"}, {}},
    {Design::case_control, false, {"case control"}, {}},
    {Design::case_series, false, {"case series", "case report"}, {}},
    {Design::non_randomised_trial, false, {"controlled trial", "clinical trial", "pilot study"}, {}},
};

void set_design(Study& s, Design design, Origin origin) {
  s.design = design;
  s.annotation.origins["design"] = origin;
}

void design_from_source(Study& s) {
  const auto& types = s.publication_types;
  auto has = [&](std::string_view t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  for (const auto& row : designs_by_type) {
    if (std::none_of(row.types.begin(), row.types.end(), has)) continue;
    if (row.design == Design::systematic_review) s.meta_analysis = has("Meta-Analysis");
    return set_design(s, row.design, Origin::source_metadata);
  }
}

void design_from_text(Study& s) {
  const std::string title = normalise(s.title);
  const std::string all = title + " " + normalise(s.abstract_text());
  for (const auto& row : designs_by_words) {
    const std::string& text = row.title_only ? title : all;
    if (!contains_any(text, row.any) || (!row.and_any.empty() && !contains_any(text, row.and_any))) continue;
    if (row.design == Design::systematic_review) s.meta_analysis = contains_any(all, {"meta analysis", "pooled"});
    return set_design(s, row.design, Origin::text);
  }
}

std::string duration_from_text(const std::string& title, const std::string& abstract) {
  auto kinds = [](const std::string& t) {
    std::set<std::string> k;
    const std::string n = normalise(t);
    if (n.find("subacute") != std::string::npos || n.find("sub acute") != std::string::npos) k.insert("subacute");
    // Normalised text is lower-case words separated by single spaces: a word boundary is a space.
    const std::string padded = " " + n + " ";
    if (padded.find(" acute ") != std::string::npos) k.insert("acute");
    bool long_standing = false;
    for (const char* head : {" more than ", " over ", " at least "})
      for (const char* tail : {"3 months", "three months", "12 weeks", "twelve weeks"})
        long_standing = long_standing || padded.find(std::string(head) + tail) != std::string::npos;
    if (n.find("chronic") != std::string::npos || n.find("persistent") != std::string::npos ||
        n.find("long lasting") != std::string::npos || long_standing)
      k.insert("chronic");
    return k;
  };
  auto pick = [](const std::set<std::string>& k) -> std::string {
    if (k.empty()) return "";
    if (k.size() == 1) return *k.begin();
    if (k.count("acute") && k.count("subacute") && !k.count("chronic")) return "acute";
    return "mixed";
  };
  std::string d = pick(kinds(title));
  if (d.empty()) d = pick(kinds(abstract));
  return d.empty() ? "unspecified" : d;
}

// The concepts of a list of arms, in order.
std::vector<std::string> concepts_of(const std::vector<Arm>& arms) {
  std::vector<std::string> out;
  for (const auto& a : arms) out.insert(out.end(), a.concepts.begin(), a.concepts.end());
  return out;
}

// Concepts of one kind named by MeSH headings; a qualified heading ("A/B") names none.
std::vector<std::string> mesh_concepts(const Study& s, const Vocabulary& v, std::string_view kind) {
  std::vector<std::string> out;
  for (const auto& term : s.annotation.mesh_terms) {
    if (term.find('/') != std::string::npos) continue;
    if (const Concept* c = v.lookup(term); c && c->kind == kind) out.push_back(c->id);
  }
  return out;
}

// What the text and the structured fields say about the treatments compared.
struct Treatments {
  std::vector<std::string> interventions, comparators;
  bool structured = false;  // from CT.gov arm labels or MeSH rather than the running text
};

// Words after which a treatment named in a title, once a treatment came before it, is when the
// people were treated, not what was studied ("Physiotherapy for patients awaiting microdiscectomy",
// "Exercise after lumbar fusion").
bool is_setting_word(std::string_view w) {
  return w == "awaiting" || w == "after" || w == "following" || w == "before";
}

// In the title, concepts after "versus"/"compared with" and concepts qualified by sham/placebo
// are the comparator, not the intervention.
void treatments_in_title(const Vocabulary& v, const TextMatches& t, Treatments& found) {
  bool after_versus = false, after_setting = false;
  for (std::size_t k = 0; k < t.matches.size(); ++k) {
    const ConceptMatch& m = t.matches[k];
    for (std::size_t i = k == 0 ? 0 : t.matches[k - 1].end; i < m.begin; ++i) {
      if (is_versus_word(t.tokens[i].folded)) after_versus = true;
      if (is_setting_word(t.tokens[i].folded) && !found.interventions.empty()) after_setting = true;
    }
    const Concept* c = v.find(m.concept_id);
    if (!c || negated(t, m) || (c->kind == "intervention" && measured(t, m))) continue;
    const bool sham_qualified =
        k > 0 && t.matches[k - 1].end == m.begin && v.is_a(t.matches[k - 1].concept_id, "placebo");
    if (c->kind == "comparator") {
      push_unique(found.comparators, c->id);
    } else if (c->kind == "intervention" && (after_versus || !after_setting)) {
      push_unique(sham_qualified || after_versus ? found.comparators : found.interventions, c->id);
    }
  }
}

// Concepts that are tests rather than treatments. Abstracts and registrations name them for who
// was eligible ("disc herniation confirmed on MRI") and for how outcomes were measured
// ("radiographs at 2 years"), however often, so in the running text they do not make a record a
// study of the test; the title or a structured field (arm label, MeSH) still does.
const char* const test_roots[] = {"diagnostic_imaging"};

bool is_test(const Vocabulary& v, const std::string& id) {
  return std::any_of(std::begin(test_roots), std::end(test_roots), [&](const char* r) { return v.is_a(id, r); });
}

// Outside the title, a concept must recur to count: one passing mention is not the treatment studied.
void treatments_in_abstract(const Vocabulary& v, const TextMatches& body, Treatments& found) {
  std::map<std::string, int> freq;
  for (const auto& m : body.matches)
    if (const Concept* c = v.find(m.concept_id);
        c && c->kind == "intervention" && !negated(body, m) && !measured(body, m) && !is_test(v, c->id))
      ++freq[c->id];
  const auto& comparators = found.comparators;
  for (const auto& [id, n] : freq)
    if (n >= 2 && std::find(comparators.begin(), comparators.end(), id) == comparators.end())
      found.interventions.push_back(id);
}

// CT.gov arm labels and MeSH headings are structured fields.
void treatments_in_fields(Study& s, const Vocabulary& v, Treatments& found) {
  for (auto& arm : s.interventions)
    for (const auto& m : v.match(arm.label))
      if (const Concept* c = v.find(m.concept_id); c && c->kind == "intervention") {
        push_unique(arm.concepts, c->id);
        push_unique(found.interventions, c->id);
        found.structured = true;
      }
  for (auto& arm : s.comparators)
    for (const auto& m : v.match(arm.label))
      if (const Concept* c = v.find(m.concept_id); c && (c->kind == "intervention" || c->kind == "comparator"))
        push_unique(arm.concepts, c->id);
  for (const auto& id : mesh_concepts(s, v, "intervention")) {
    push_unique(found.interventions, id);
    found.structured = true;
  }
}

// Arms with concepts are kept; every intervention found that no arm covers gets an arm of its own.
void set_intervention_arms(Study& s, const Vocabulary& v, const Treatments& found) {
  auto no_concepts = [](const Arm& a) { return a.concepts.empty(); };
  s.interventions.erase(std::remove_if(s.interventions.begin(), s.interventions.end(), no_concepts),
                        s.interventions.end());
  if (found.interventions.empty()) return;
  const std::vector<std::string> covered = concepts_of(s.interventions);
  for (const auto& id : found.interventions)
    if (std::find(covered.begin(), covered.end(), id) == covered.end())
      s.interventions.push_back({{id}, v.find(id)->preferred, std::nullopt});
  s.annotation.origins["interventions"] = found.structured ? Origin::source_metadata : Origin::text;
}

// Every comparator found that no arm covers gets an arm of its own; every arm gets a kind.
void set_comparator_arms(Study& s, const Vocabulary& v, const Treatments& found) {
  const std::vector<std::string> covered = concepts_of(s.comparators);
  for (const auto& id : found.comparators)
    if (std::find(covered.begin(), covered.end(), id) == covered.end())
      s.comparators.push_back({{id}, v.find(id)->preferred, v.comparator_kind(id)});
  for (auto& a : s.comparators)
    if (!a.kind) a.kind = v.comparator_kind(a.concepts);
  if (!s.comparators.empty())
    s.annotation.origins["comparators"] = found.structured ? Origin::source_metadata : Origin::text;
}

void annotate_treatments(Study& s, const Vocabulary& v, const TextMatches& title, const TextMatches& body) {
  Treatments found;
  treatments_in_title(v, title, found);
  if (found.interventions.empty()) treatments_in_abstract(v, body, found);
  treatments_in_fields(s, v, found);
  set_intervention_arms(s, v, found);
  set_comparator_arms(s, v, found);
}

// A specific concept makes its ancestors redundant ("chronic low back pain" implies "low back pain").
std::vector<std::string> most_specific(const Vocabulary& v, const std::vector<std::string>& concepts) {
  std::vector<std::string> specific;
  for (const auto& c : concepts) {
    bool redundant = false;
    for (const auto& o : concepts)
      if (o != c && v.is_a(o, c)) redundant = true;
    if (!redundant) specific.push_back(c);
  }
  return specific;
}

// Conditions: MeSH first, then the title and the keywords, then the abstract (skipping negated
// mentions such as "without sciatica"). In the abstract a condition must recur, mentions of
// broader and narrower conditions counting together ("chronic low back pain" once and "back pain"
// twice): one passing mention beside the conditions studied (a knee trial that excludes people
// with low back pain, a stenosis trial's "sciatica") is not who was studied. When nothing else
// names a condition, a single mention is all there is to go on (short abstracts).
void annotate_conditions(Study& s, const Vocabulary& v, const TextMatches& title, const TextMatches& body) {
  std::vector<std::string> conditions;
  for (const auto& id : mesh_concepts(s, v, "condition")) push_unique(conditions, id);
  const bool mesh_conditions = !conditions.empty();
  for (const auto& m : title.matches)
    if (const Concept* c = v.find(m.concept_id); c && c->kind == "condition" && !negated(title, m))
      push_unique(conditions, c->id);
  for (const auto& kw : s.annotation.keywords)
    for (const auto& m : v.match(kw))
      if (const Concept* c = v.find(m.concept_id); c && c->kind == "condition") push_unique(conditions, c->id);
  std::vector<std::string> mentioned;  // one entry per mention
  for (const auto& m : body.matches)
    if (const Concept* c = v.find(m.concept_id); c && c->kind == "condition" && !negated(body, m))
      mentioned.push_back(c->id);
  std::vector<std::string> once;
  for (const auto& id : mentioned) {
    const auto family = std::count_if(mentioned.begin(), mentioned.end(), [&](const std::string& other) {
      return other == id || v.is_a(other, id) || v.is_a(id, other);
    });
    push_unique(family >= 2 ? conditions : once, id);
  }
  if (conditions.empty()) conditions = once;
  const std::vector<std::string> specific = most_specific(v, conditions);
  if (specific.empty()) return;
  s.population.conditions = specific;
  s.annotation.origins["conditions"] = mesh_conditions ? Origin::source_metadata : Origin::text;
}

void annotate_duration(Study& s, const std::string& abstract) {
  s.population.duration = duration_from_text(s.title, abstract);
  for (const auto& c : s.population.conditions) {
    if (const auto d = duration_of_condition(c); !d.empty()) s.population.duration = d;
  }
  s.annotation.origins["duration"] = Origin::text;
}

// Outcome domains measured: outcome concepts, and the domains of the instruments named.
std::vector<std::string> outcome_domains(const Vocabulary& v, const TextMatches& body) {
  std::vector<std::string> domains;
  for (const auto& m : body.matches) {
    const Concept* c = v.find(m.concept_id);
    if (!c) continue;
    if (c->kind == "outcome" && c->id != "benefit") push_unique(domains, c->id);
    if (c->kind == "instrument")
      for (const auto& p : c->parents)
        if (const Concept* d = v.find(p); d && d->kind == "outcome") push_unique(domains, d->id);
  }
  return domains;
}

// The main result's direction, for trials, as the abstract states it.
void annotate_direction(Study& s, const Vocabulary& v, const std::vector<std::string>& domains) {
  if (s.design != Design::rct && s.design != Design::non_randomised_trial) return;
  std::string sentence;
  const std::optional<Direction> dir = direction_from_text(s, sentence);
  if (!dir || s.interventions.empty()) return;
  OutcomeResult o;
  const bool pain = std::find(domains.begin(), domains.end(), "pain") != domains.end();
  o.domain = pain ? "pain" : (domains.empty() ? "benefit" : domains.front());
  o.intervention = concepts_of(s.interventions);
  o.comparator = concepts_of(s.comparators);
  o.comparator_kind = s.comparators.empty() ? ComparatorKind::mixed : v.comparator_kind(o.comparator);
  o.direction = *dir;
  o.primary = true;
  o.result_text = sentence.size() > 1000 ? sentence.substr(0, 1000) : sentence;
  s.outcomes.push_back(std::move(o));
  s.annotation.origins["direction"] = Origin::text;
}

// Domains measured without a result of their own: measured, result not extracted.
void annotate_measured_domains(Study& s, const std::vector<std::string>& domains) {
  for (const auto& d : domains) {
    bool have = false;
    for (const auto& o : s.outcomes) have = have || o.domain == d;
    if (have || s.interventions.empty()) continue;
    OutcomeResult o;
    o.domain = d;
    o.intervention = concepts_of(s.interventions);
    o.comparator_kind = ComparatorKind::mixed;
    o.direction = Direction::unclear;
    s.outcomes.push_back(std::move(o));
  }
  if (!domains.empty()) s.annotation.origins["outcomes"] = Origin::text;
}

// Size: registry enrolment, else the abstract's wording.
void annotate_size(Study& s, const std::string& abstract) {
  if (s.population.n_randomised || s.population.n_participants) return;
  if (s.design == Design::systematic_review) {
    if (auto n = trial_count(abstract)) {
      s.population.n_trials = n;
      s.annotation.origins["sample_size"] = Origin::text;
    }
  } else if (auto n = detail::sample_size(abstract)) {
    if (s.design == Design::rct)
      s.population.n_randomised = n;
    else
      s.population.n_participants = n;
    s.annotation.origins["sample_size"] = Origin::text;
  }
}

bool is_curated(const Study& s) {
  const auto& sources = s.annotation.sources;
  return std::find(sources.begin(), sources.end(), "curated") != sources.end();
}

// A curated record's annotations are its curator's; nothing is extracted from its text.
void mark_curated(Study& s) {
  for (const char* f : {"design", "interventions", "comparators", "conditions", "outcomes", "duration", "sample_size"})
    s.annotation.origins[f] = Origin::curated;
}

// A draft keeps its fields as written for its curator, but none of them is a curator's yet: they
// were read automatically (docs/CURATING.md).
void mark_draft(Study& s) {
  for (const char* f :
       {"design", "interventions", "comparators", "conditions", "outcomes", "duration", "sample_size", "direction"})
    s.annotation.origins[f] = Origin::text;
}

// Annotation from the source's metadata and the wording of the title and abstract.
void annotate_from_source(Study& s, const Vocabulary& v) {
  const std::string abstract = s.abstract_text();
  const TextMatches title = match_text(v, s.title);
  const TextMatches body = match_text(v, abstract);
  // Design: the source's publication types first, then the wording of the title and abstract.
  if (s.annotation.origins.count("design") == 0) design_from_source(s);
  if (s.annotation.origins.count("design") == 0) design_from_text(s);
  annotate_treatments(s, v, title, body);
  annotate_conditions(s, v, title, body);
  annotate_duration(s, abstract);
  const std::vector<std::string> domains = outcome_domains(v, body);
  annotate_direction(s, v, domains);
  annotate_measured_domains(s, domains);
  annotate_size(s, abstract);
}

// The starting point of an estimated quality score, by design (the first row that fits; a
// design in no row scores 2, "other design"). A protocol has no results to rate: -1.
struct DesignQuality {
  Design design;
  std::optional<bool> meta_analysis;  // the row fits only a review with (or without) meta-analysis
  double score;
  const char* basis;
};
const DesignQuality design_quality[] = {
    {Design::guideline, std::nullopt, 7, "guideline"},
    {Design::systematic_review, true, 7, "systematic review with meta-analysis"},
    {Design::systematic_review, false, 6, "systematic review"},
    {Design::rct, std::nullopt, 5, "randomised trial"},
    {Design::non_randomised_trial, std::nullopt, 3, "non-randomised design"},
    {Design::cohort, std::nullopt, 3, "non-randomised design"},
    {Design::protocol, std::nullopt, -1, "protocol (no results)"},
};

// Wording of the title, abstract and design label that adds a point each to an estimated score.
struct QualitySign {
  std::vector<std::string_view> phrases;  // normalised text, any one of them
  const char* basis;
};
const std::vector<QualitySign> quality_signs = {
    {{"double blind", "assessor blind", "blinded assessor", "masked", "single blind"}, "blinding reported"},
    {{"concealed allocation", "allocation concealment", "allocation was concealed"}, "concealed allocation"},
    {{"intention to treat"}, "intention-to-treat"},
};

// A transparent estimate from design, size, blinding and allocation wording.
void estimate_quality(Study& s) {
  double score = 2;
  std::vector<std::string> basis = {"other design"};
  for (const auto& row : design_quality)
    if (s.design == row.design && (!row.meta_analysis || *row.meta_analysis == s.meta_analysis)) {
      score = row.score;
      basis = {row.basis};
      break;
    }
  if (score >= 0) {
    const std::string text = normalise(s.title + " " + s.abstract_text() + " " + s.design_label);
    for (const auto& sign : quality_signs)
      if (contains_any(text, sign.phrases)) {
        score += 1;
        basis.push_back(sign.basis);
      }
    const auto n = s.participants();
    if (n >= 100) {
      score += 1;
      basis.push_back("n=" + std::to_string(n));
    } else if (n > 0 && n < 30) {
      score -= 1;
      basis.push_back("small (n=" + std::to_string(n) + ")");
    }
    score = std::clamp(score, 0.0, 10.0);
  }
  s.annotation.quality_score = score;
  s.annotation.quality_estimated = true;
  std::string b = "estimated";
  if (score >= 0) b += " " + std::to_string(static_cast<int>(score)) + "/10";
  b += " from: ";
  for (std::size_t i = 0; i < basis.size(); ++i) b += (i ? ", " : "") + basis[i];
  s.annotation.quality_basis = b;
}

// Quality: a curated PEDro score or risk-of-bias judgement when there is one, else an estimate.
void annotate_quality(Study& s) {
  if (s.quality.pedro) {
    const auto& pedro = *s.quality.pedro;
    s.annotation.quality_score = pedro.score;
    s.annotation.quality_estimated = false;
    s.annotation.quality_basis =
        "PEDro " + std::to_string(pedro.score) + "/10 (" + (pedro.source.empty() ? "curated" : pedro.source) + ")";
  } else if (s.quality.risk_of_bias) {
    const std::string& o = s.quality.risk_of_bias->overall;
    s.annotation.quality_score = o == "low" ? 8 : o == "some_concerns" ? 6 : o == "unclear" ? 5 : 3;
    s.annotation.quality_estimated = false;
    s.annotation.quality_basis = "risk of bias " + o + " (" + s.quality.risk_of_bias->tool + "), mapped to " +
                                 std::to_string(static_cast<int>(s.annotation.quality_score)) + "/10";
  } else {
    estimate_quality(s);
  }
}

}  // namespace

void Annotator::annotate(Study& s) const {
  if (s.draft)
    mark_draft(s);
  else if (is_curated(s))
    mark_curated(s);
  else
    annotate_from_source(s, vocabulary_);
  s.annotation.evidence_level = evidence_level_of(s);
  annotate_quality(s);
}

}  // namespace evidence
