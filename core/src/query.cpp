#include "evidence/query.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "evidence/errors.hpp"
#include "evidence/study.hpp"
#include "evidence/text.hpp"

namespace evidence {

using nlohmann::json;

namespace {

template <typename T>
void push_unique(std::vector<T>& v, const std::type_identity_t<T>& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::pair<std::optional<double>, std::optional<double>> parse_range(const std::string& field,
                                                                    const std::string& value) {
  const auto dots = value.find("..");
  auto num = [&](const std::string& s) -> std::optional<double> {
    if (s.empty()) return std::nullopt;
    try {
      std::size_t used = 0;
      const double d = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return d;
    } catch (const std::exception&) {
      throw Error(ErrorCode::invalid_argument,
                  field + ": '" + value + "' is not a number or a range such as 2010..2024");
    }
  };
  if (dots == std::string::npos) {
    auto v = num(value);
    return {v, v};
  }
  auto lo = num(value.substr(0, dots)), hi = num(value.substr(dots + 2));
  // An empty range ("2030..2000") must not be read as no range at all, which finds everything.
  if (lo && hi && *lo > *hi)
    throw Error(ErrorCode::invalid_argument, field + ": '" + value + "' is an empty range (from is after to)");
  return {lo, hi};
}

}  // namespace

bool is_question_stopword(const std::string& w) {
  static const std::set<std::string> stop = {
      "a",     "an",        "the",      "of",      "for",     "in",     "on",     "to",       "with",    "and",
      "or",    "is",        "are",      "do",      "doe",     "does",   "my",     "me",       "i",       "it",
      "can",   "could",     "would",    "should",  "what",    "which",  "how",    "there",    "any",     "evidence",
      "about", "treatment", "treat",    "therapy", "patient", "people", "person", "best",     "good",    "really",
      "at",    "by",        "be",       "this",    "that",    "will",   "from",   "study",    "studies", "research",
      "if",    "when",      "have",     "has",     "than",    "vs",     "versus", "compared", "v",       "whether",
      "plus",  "together",  "combined", "after",   "need"};
  return stop.count(w) > 0;
}

bool Question::empty() const {
  return identifiers.empty() && interventions.empty() && conditions.empty() && outcomes.empty() &&
         comparators.empty() && designs.empty() && free_text.empty() && filter_interventions.empty() &&
         filter_conditions.empty() && filter_outcomes.empty() && filter_designs.empty() && !year_min && !year_max &&
         !quality_min;
}

json Question::to_json() const {
  json cs = json::array();
  for (const auto& c : concepts)
    cs.push_back(
        {{"id", c.id}, {"kind", c.kind}, {"matched", c.matched}, {"preferred", c.preferred}, {"plain", c.plain}});
  json filters = json::object();
  if (!filter_interventions.empty()) filters["intervention"] = filter_interventions;
  if (!filter_conditions.empty()) filters["condition"] = filter_conditions;
  if (!filter_outcomes.empty()) filters["outcome"] = filter_outcomes;
  if (!filter_designs.empty()) filters["design"] = filter_designs;
  if (year_min) filters["year_min"] = *year_min;
  if (year_max) filters["year_max"] = *year_max;
  if (quality_min) filters["quality_min"] = *quality_min;
  if (quality_max) filters["quality_max"] = *quality_max;
  json ids = json::array();
  for (const auto& [kind, value] : identifiers) ids.push_back({{"kind", kind}, {"value", value}});
  json fixes = json::array();
  for (const auto& [typed, read] : corrections) fixes.push_back({{"typed", typed}, {"read", read}});
  return {{"text", text},
          {"identifiers", ids},
          {"corrections", fixes},
          {"concepts", cs},
          {"population", {{"conditions", conditions}, {"duration", duration}}},
          {"interventions", interventions},
          {"comparators", comparators},
          {"comparator_kinds", comparator_kinds},
          {"outcomes", outcomes},
          {"designs", designs},
          {"free_text", free_text},
          {"either_treatment", either_treatment},
          {"filters", filters}};
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The concept a field term names: an id ("low_back_pain") or any term ("LBP") of the right kind.
std::string field_concept(Question& q, const Vocabulary& v, const std::string& field, const std::string& value,
                          const std::string& word, const char* kind) {
  const Concept* c = v.lookup(value);
  if (!c) throw Error(ErrorCode::invalid_argument, field + ": unknown concept '" + value + "'");
  if (std::string(kind) != c->kind && !(std::string(kind) == "design"))
    throw Error(ErrorCode::invalid_argument, field + ": '" + value + "' is a " + c->kind + ", not a " + kind);
  q.concepts.push_back({c->id, c->kind, word, c->preferred, c->plain});
  return c->id;
}

void add_filter(std::vector<std::string>& filter, std::vector<std::string>& concepts, const std::string& id) {
  push_unique(filter, id);
  push_unique(concepts, filter.back());
}

// Applies one field:value term; false when the field is not one of ours ("e.g.:", a URL).
bool apply_field(Question& q, const Vocabulary& v, std::string field, const std::string& value,
                 const std::string& word) {
  field = lower(field);
  if (field == "intervention" || field == "i") {
    add_filter(q.filter_interventions, q.interventions, field_concept(q, v, field, value, word, "intervention"));
  } else if (field == "condition" || field == "p") {
    add_filter(q.filter_conditions, q.conditions, field_concept(q, v, field, value, word, "condition"));
  } else if (field == "outcome" || field == "o") {
    add_filter(q.filter_outcomes, q.outcomes, field_concept(q, v, field, value, word, "outcome"));
  } else if (field == "design") {
    std::string d = lower(value);
    if (!parse_design(d)) {
      const Concept* c = v.lookup(value);
      if (!c || c->kind != "design") throw Error(ErrorCode::invalid_argument, "design: unknown design '" + value + "'");
      d = c->id;
    }
    push_unique(q.filter_designs, d);
  } else if (field == "year") {
    auto [lo, hi] = parse_range("year", value);
    // year:1e300 would be undefined behaviour in the conversion to int (found by fuzz_query).
    for (const auto& y : {lo, hi})
      if (y && !(*y >= 0 && *y <= 9999))
        throw Error(ErrorCode::invalid_argument, "year: '" + value + "' is not a year");
    if (lo) q.year_min = static_cast<int>(*lo);
    if (hi) q.year_max = static_cast<int>(*hi);
  } else if (field == "quality") {
    auto [lo, hi] = parse_range("quality", value);
    q.quality_min = lo;
    q.quality_max = hi;
  } else {
    return false;
  }
  return true;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Pass 1: pulls out field:value terms and quoted phrases; returns the rest, natural language.
std::string take_fields_and_phrases(Question& q, const Vocabulary& v, const std::string& text,
                                    std::vector<std::string>& phrases) {
  std::string natural;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_blank(text[i])) {
      ++i;
      continue;
    }
    if (text[i] == '"') {
      const auto end = text.find('"', i + 1);
      const std::string phrase = text.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      if (!squash_space(phrase).empty()) phrases.push_back(squash_space(phrase));
      i = end == std::string::npos ? text.size() : end + 1;
      natural += ' ';
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '"') ++j;
    const std::string word = text.substr(i, j - i);
    const auto colon = word.find(':');
    const bool field_term = colon != std::string::npos && colon > 0 && colon + 1 < word.size();
    if (!field_term || !apply_field(q, v, word.substr(0, colon), word.substr(colon + 1), word)) natural += ' ' + word;
    i = j;
  }
  return natural;
}

// Pass 0: identifiers, typed or pasted as URLs, taken out of the text so that the words around
// them are read as usual ("PMID 25844995", "doi.org/10.7326/M14-1420", "NCT00022776").
std::string take_identifiers(Question& q, const std::string& text) {
  static const std::regex url_pmid(
      R"((?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)([0-9]{1,9})/?)",
      std::regex::icase);
  static const std::regex url_pmc(
      R"((?:https?://)?(?:www\.)?(?:ncbi\.nlm\.nih\.gov/pmc/articles/|pmc\.ncbi\.nlm\.nih\.gov/articles/)(PMC[0-9]{1,9})/?)",
      std::regex::icase);
  static const std::regex url_doi(R"((?:https?://)?(?:dx\.)?doi\.org/(10\.[0-9]{4,9}/[^\s"]+))", std::regex::icase);
  static const std::regex doi(R"(\b(?:doi:?\s*)?(10\.[0-9]{4,9}/[^\s"]+))", std::regex::icase);
  static const std::regex url_nct(R"((?:https?://)?(?:www\.)?clinicaltrials\.gov/\S*?(NCT[0-9]{8})\S*)",
                                  std::regex::icase);
  static const std::regex nct(R"(\b(NCT[0-9]{8})\b)", std::regex::icase);
  static const std::regex pmcid(R"(\b(PMC[0-9]{1,9})\b)", std::regex::icase);
  static const std::regex pmid_labelled(R"(\bpmid\s*:?\s*([0-9]{1,9})\b)", std::regex::icase);
  // A bare number of six to nine digits is a PMID: shorter ones are years, doses and counts.
  static const std::regex pmid_bare(R"((^|\s)([1-9][0-9]{5,8})(?=\s|$))");
  std::string rest = text;
  auto take = [&](const std::regex& re, const char* kind, int group) {
    std::string out;
    auto begin = std::sregex_iterator(rest.begin(), rest.end(), re);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      std::string value = (*it)[static_cast<std::size_t>(group)].str();
      // A DOI pasted at the end of a sentence keeps no trailing punctuation.
      while (!value.empty() && std::string(".,;)]").find(value.back()) != std::string::npos) value.pop_back();
      if (std::string(kind) != "pmid") value = lower(value);
      const std::pair<std::string, std::string> id{kind, value};
      if (std::find(q.identifiers.begin(), q.identifiers.end(), id) == q.identifiers.end()) q.identifiers.push_back(id);
      out += rest.substr(last, static_cast<std::size_t>(it->position(0)) - last) + ' ';
      last = static_cast<std::size_t>(it->position(0) + it->length(0));
    }
    out += rest.substr(last);
    rest = out;
  };
  take(url_pmid, "pmid", 1);
  take(url_pmc, "pmcid", 1);
  take(url_doi, "doi", 1);
  take(url_nct, "nct", 1);
  take(doi, "doi", 1);
  take(nct, "nct", 1);
  take(pmcid, "pmcid", 1);
  take(pmid_labelled, "pmid", 1);
  take(pmid_bare, "pmid", 2);
  return rest;
}

// Files one recognised concept of the natural-language part under its role in the question.
void file_concept(Question& q, const Vocabulary& v, const Concept& c, bool after_versus) {
  if (c.kind == "intervention") {
    if (after_versus) {
      push_unique(q.comparators, c.id);
      push_unique(q.comparator_kinds, ComparatorKind::active);
    } else {
      push_unique(q.interventions, c.id);
    }
  } else if (c.kind == "comparator") {
    push_unique(q.comparators, c.id);
    push_unique(q.comparator_kinds, v.comparator_kind(c.id));
  } else if (c.kind == "condition") {
    push_unique(q.conditions, c.id);
    if (const auto d = duration_of_condition(c.id); !d.empty()) q.duration = d;
  } else if (c.kind == "outcome") {
    if (c.id == "benefit")
      q.benefit_requested = true;
    else
      push_unique(q.outcomes, c.id);
    if (c.id == "adverse_events") q.harms_requested = true;
  } else if (c.kind == "instrument") {
    for (const auto& p : c.parents) push_unique(q.outcomes, p);
  } else if (c.kind == "design") {
    push_unique(q.designs, c.id);
  }
}

// Pass 2: concepts in the natural-language part; "vs X", "compared with X", "sham" make
// comparators. Marks the tokens that concepts used.
// Misspelt words, read as the vocabulary word they stand for when the records do not use them.
std::vector<Token> corrected(Question& q, const Vocabulary& v, const std::vector<Token>& tokens,
                             const std::function<bool(const std::string&)>& known_word) {
  std::vector<Token> out = tokens;
  if (!known_word) return out;
  for (auto& t : out) {
    // Cheapest first: vocabulary words are never corrected, then words the records use.
    if (t.folded.size() < 5 || is_question_stopword(t.folded) || v.has_term_word(t.folded) ||
        known_word(lower(t.original)))
      continue;
    const std::string word = v.closest_word(t.folded);
    if (word.empty() || word == t.folded) continue;
    q.corrections.push_back({t.original, word});
    t.folded = t.original = word;  // the free text searches for the word as read, too
  }
  return out;
}

void take_concepts(Question& q, const Vocabulary& v, const std::vector<Token>& tokens, std::vector<bool>& used) {
  bool after_versus = false, after_when = false;
  std::size_t prev_end = 0;
  for (const auto& m : v.match_tokens(tokens, true, true)) {
    for (std::size_t k = prev_end; k < m.begin; ++k) {
      const std::string& w = tokens[k].folded;
      if (is_versus_word(w)) after_versus = true;
      // "glute exercises when running": once a treatment is named, one after "when" or "while"
      // is when the question's treatment is wanted, not a treatment asked about.
      if ((w == "when" || w == "while") && !q.interventions.empty()) after_when = true;
      // "as good as X", "as well as X", "as effective as X": X is the comparison.
      if (k >= 2 && w == "as" && tokens[k - 2].folded == "as" &&
          (tokens[k - 1].folded == "good" || tokens[k - 1].folded == "effective" || tokens[k - 1].folded == "safe"))
        after_versus = true;
      // "non-inferior to X", "superior to X", "better than X", "rather than X".
      if (k >= 1 && ((w == "to" && (tokens[k - 1].folded == "inferior" || tokens[k - 1].folded == "superior")) ||
                     (w == "than" && (tokens[k - 1].folded == "better" || tokens[k - 1].folded == "worse" ||
                                      tokens[k - 1].folded == "rather"))))
        after_versus = true;
      // "A or B": either treatment answers the question.
      if (w == "or" && !q.interventions.empty() && !after_versus) q.either_treatment = true;
    }
    prev_end = m.end;
    const Concept* c = v.find(m.concept_id);
    if (!c || (after_when && c->kind == "intervention")) continue;
    for (std::size_t k = m.begin; k < m.end; ++k) used[k] = true;
    q.concepts.push_back({c->id, c->kind, m.matched, c->preferred, c->plain});
    file_concept(q, v, *c, after_versus);
  }
}

// Duration words qualify the condition ("chronic LBP" -> chronic low back pain).
// Everyday ways of saying how long the pain has lasted (the project's own lay lexicon, not from
// a consumer health vocabulary): word sequences as folded tokens, and the duration they mean.
struct DurationPhrase {
  std::vector<std::string> words;
  const char* duration;
};
const std::vector<DurationPhrase>& duration_phrases() {
  static const std::vector<DurationPhrase> phrases = {
      {{"chronic"}, "chronic"},
      {{"persistent"}, "chronic"},
      {{"longstanding"}, "chronic"},
      {{"ongoing"}, "chronic"},
      {{"for", "year"}, "chronic"},
      {{"for", "month"}, "chronic"},
      {{"won't", "go", "away"}, "chronic"},
      {{"wont", "go", "away"}, "chronic"},
      {{"won", "t", "go", "away"}, "chronic"},
      {{"never", "go", "away"}, "chronic"},
      {{"long", "term"}, "chronic"},
      {{"long", "lasting"}, "chronic"},
      {{"acute"}, "acute"},
      {{"subacute"}, "subacute"},
      {{"sudden"}, "acute"},
      {{"suddenly"}, "acute"},
      {{"last", "week"}, "acute"},
      {{"few", "day"}, "acute"},
      {{"just", "started"}, "acute"},
      {{"recently"}, "acute"},
  };
  return phrases;
}

void take_duration(Question& q, const Vocabulary& v, const std::vector<Token>& tokens, std::vector<bool>& used) {
  for (std::size_t k = 0; k < tokens.size(); ++k)
    for (const auto& p : duration_phrases()) {
      if (k + p.words.size() > tokens.size()) continue;
      bool all = true;
      for (std::size_t i = 0; i < p.words.size() && all; ++i) all = tokens[k + i].folded == p.words[i];
      if (!all) continue;
      for (std::size_t i = 0; i < p.words.size(); ++i) used[k + i] = true;
      q.duration = p.duration;
    }
  if (q.duration.empty()) return;
  for (auto& c : q.conditions) {
    if (c == "low_back_pain" || c == "nonspecific_low_back_pain" || c == "back_pain") {
      const std::string specific = q.duration + "_low_back_pain";
      if (v.contains(specific)) c = specific;
    }
  }
}

// Patients write "my back", "back problems": the bare word means back pain in a question
// (it is not a vocabulary term because in abstracts it is far too common).
void take_bare_back(Question& q, const Vocabulary& v, const std::vector<Token>& tokens, std::vector<bool>& used) {
  if (!q.conditions.empty()) return;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const std::string& w = tokens[k].folded;
    if (used[k] || !(w == "back" || w == "backache" || w == "lumbar") || !v.contains("back_pain")) continue;
    used[k] = true;
    const Concept* c = v.find(w == "lumbar" ? "low_back_pain" : "back_pain");
    if (!c) c = v.find("back_pain");
    q.conditions.push_back(c->id);
    q.concepts.push_back({c->id, c->kind, tokens[k].original, c->preferred, c->plain});
    return;
  }
}

// A word of the free text as the search should read it: lower case, not folded (the search
// stems it its own way: folding "tDCS" to "tdc" lost the word), and an abbreviation typed with a
// capital inside it (tDCS, IFC, NSAIDs) as typed, so that it is matched exactly, never stemmed.
std::string free_word(const std::string& original) {
  const bool abbreviation = std::any_of(original.begin() + (original.empty() ? 0 : 1), original.end(),
                                        [](char ch) { return ch >= 'A' && ch <= 'Z'; });
  if (abbreviation) return original;
  std::string lower = original;
  for (auto& ch : lower)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return lower;
}

// Whatever is left is free text (minus question words), phrases and boolean operators kept.
// Operators only stand between two items: the words around them may have been read as concepts
// ("\"low back pain\" AND massage NOT acute" leaves "AND NOT" and a phrase), and an operator
// with nothing on one side is a syntax error to the query parser.
std::string free_text_of(const std::vector<Token>& tokens, const std::vector<bool>& used,
                         const std::vector<std::string>& phrases) {
  std::vector<std::string> items;
  auto is_op = [](const std::string& w) { return w == "AND" || w == "OR" || w == "NOT"; };
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (used[k]) continue;
    const std::string& orig = tokens[k].original;
    if (is_op(orig)) {
      items.push_back(orig);
      continue;
    }
    if (is_question_stopword(tokens[k].folded)) continue;
    items.push_back(free_word(orig));
  }
  for (const auto& p : phrases) items.push_back("\"" + p + "\"");
  std::vector<std::string> kept;
  for (const auto& item : items) {
    if (!is_op(item)) {
      kept.push_back(item);
      continue;
    }
    if (kept.empty()) continue;  // nothing before it
    if (is_op(kept.back())) {
      // Two operators in a row: "AND NOT" is one; otherwise the later one stands.
      if (kept.back() == "AND" && item == "NOT")
        kept.push_back(item);
      else
        kept.back() = item;
      continue;
    }
    kept.push_back(item);
  }
  while (!kept.empty() && is_op(kept.back())) kept.pop_back();  // nothing after it
  std::string rest;
  for (const auto& item : kept) rest += (rest.empty() ? "" : " ") + item;
  return squash_space(rest);
}

}  // namespace

std::vector<std::string> treatment_comparators(const Question& q, const Vocabulary& v) {
  std::vector<std::string> out;
  for (const auto& c : q.comparators)
    if (const Concept* k = v.find(c); k && k->kind == "intervention") out.push_back(c);
  return out;
}

std::vector<std::string> asked_alternatives(const Question& q, const Vocabulary& v) {
  std::vector<std::string> out;
  if (q.interventions.size() != 1 || q.either_treatment || !treatment_comparators(q, v).empty()) return out;
  if (const Concept* c = v.find(q.interventions[0]))
    for (const auto& a : c->alternatives) out.push_back(a.concept_id);
  return out;
}

Question parse_question(const std::string& text, const Vocabulary& v,
                        const std::function<bool(const std::string&)>& known_word) {
  Question q;
  q.text = text;
  if (!is_valid_utf8(text)) throw Error(ErrorCode::invalid_argument, "the query is not valid UTF-8");
  std::vector<std::string> phrases;
  const auto tokens = tokenize(take_fields_and_phrases(q, v, take_identifiers(q, text), phrases));
  std::vector<bool> used(tokens.size(), false);
  const std::vector<Token> read = corrected(q, v, tokens, known_word);
  take_concepts(q, v, read, used);
  take_duration(q, v, read, used);
  take_bare_back(q, v, read, used);
  if (q.benefit_requested) {
    push_unique(q.outcomes, "pain");
    push_unique(q.outcomes, "function");
  }
  q.free_text = free_text_of(read, used, phrases);
  return q;
}

}  // namespace evidence
