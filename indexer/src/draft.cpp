#include "evidence/draft.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "evidence/appraisal.hpp"
#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "evidence/ingest.hpp"

namespace evidence {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// ---- Sentences ----------------------------------------------------------------------------

// Words after which a full stop does not end a sentence (lower case, without the stop).
bool abbreviation_before(std::string_view text, std::size_t stop) {
  std::size_t b = stop;
  while (b > 0 && (is_alpha(text[b - 1]) || text[b - 1] == '.')) --b;
  std::string w;
  for (std::size_t i = b; i < stop; ++i) w += lower(text[i]);
  static const char* const abbreviations[] = {"vs", "e.g",  "i.e", "al", "approx", "fig", "figs", "no",
                                              "cf", "incl", "dr",  "ca", "resp",   "min", "max",  "sd"};
  for (const char* a : abbreviations)
    if (w == a) return true;
  // A single capital ("J. Smith") is an initial.
  return stop - b == 1 && std::isupper(static_cast<unsigned char>(text[b]));
}

// ---- Text normalised for reading numbers --------------------------------------------------

// The sentence with the dashes and minus signs of typeset text as '-', its spaces (no-break,
// thin) as ' ' and a middle dot between digits as '.', and where each character came from, so
// what is shown to a curator is the original text.
struct Normalised {
  std::string text;
  std::vector<std::size_t> from;  // index into the original for each byte of text, plus the end
};

Normalised normalise_numbers(std::string_view s) {
  Normalised n;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
    char out = 0;
    std::size_t len = 1;
    if (b(i) == 0xE2 && b(i + 1) == 0x88 && b(i + 2) == 0x92) {  // U+2212 minus sign
      out = '-', len = 3;
    } else if (b(i) == 0xE2 && b(i + 1) == 0x80 && b(i + 2) >= 0x90 && b(i + 2) <= 0x95) {  // U+2010..2015 dashes
      out = '-', len = 3;
    } else if (b(i) == 0xE2 && b(i + 1) == 0x80 && (b(i + 2) == 0x89 || b(i + 2) == 0xAF)) {  // thin spaces
      out = ' ', len = 3;
    } else if (b(i) == 0xC2 && b(i + 1) == 0xA0) {  // no-break space
      out = ' ', len = 2;
    } else if (b(i) == 0xC2 && b(i + 1) == 0xB7 && i > 0 && is_digit(s[i - 1]) &&
               is_digit(static_cast<char>(b(i + 2)))) {
      out = '.', len = 2;  // "1·2" (Lancet style)
    }
    if (out) {
      n.text += out;
      n.from.push_back(i);
    } else {
      for (std::size_t k = 0; k < len; ++k) {
        n.text += s[i + k];
        n.from.push_back(i + k);
      }
    }
    i += len;
  }
  n.from.push_back(s.size());
  return n;
}

// ---- Tokens -------------------------------------------------------------------------------

struct Tok {
  enum Kind { number, word, punct } kind = punct;
  std::size_t b = 0, e = 0;  // byte range in the normalised text
  double value = 0;
  bool percent = false;
  std::string lower;  // words: lower case; punctuation: the character
};

std::vector<Tok> tokens_of(const std::string& t) {
  std::vector<Tok> out;
  std::size_t i = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    const bool sign = (c == '-' || c == '+') && i + 1 < t.size() && is_digit(t[i + 1]) &&
                      (i == 0 || !(std::isalnum(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '.'));
    if (is_digit(c) || sign) {
      Tok k;
      k.kind = Tok::number;
      k.b = i;
      std::size_t j = i + (sign ? 1 : 0);
      while (j < t.size() && is_digit(t[j])) ++j;
      if (j + 1 < t.size() && t[j] == '.' && is_digit(t[j + 1])) {
        ++j;
        while (j < t.size() && is_digit(t[j])) ++j;
      }
      k.value = std::strtod(t.substr(i, j - i).c_str(), nullptr);
      k.e = j;
      std::size_t p = j;
      while (p < t.size() && t[p] == ' ') ++p;
      if (p < t.size() && t[p] == '%') {
        k.percent = true;
        k.e = p + 1;
      }
      i = k.e;
      out.push_back(std::move(k));
      continue;
    }
    if (is_alpha(c) || static_cast<unsigned char>(c) >= 0x80) {
      Tok k;
      k.kind = Tok::word;
      k.b = i;
      std::size_t j = i;
      while (j < t.size() &&
             (std::isalnum(static_cast<unsigned char>(t[j])) || static_cast<unsigned char>(t[j]) >= 0x80 ||
              (t[j] == '\'' && j + 1 < t.size() && is_alpha(t[j + 1]))))
        ++j;
      k.e = j;
      for (std::size_t x = i; x < j; ++x) k.lower += lower(t[x]);
      i = j;
      out.push_back(std::move(k));
      continue;
    }
    Tok k;
    k.kind = Tok::punct;
    k.b = i;
    k.e = i + 1;
    k.lower = std::string(1, c);
    out.push_back(std::move(k));
    ++i;
  }
  return out;
}

bool is_punct(const std::vector<Tok>& t, std::size_t i, std::string_view chars) {
  return i < t.size() && t[i].kind == Tok::punct && chars.find(t[i].lower[0]) != std::string_view::npos;
}
bool is_word(const std::vector<Tok>& t, std::size_t i, std::string_view w) {
  return i < t.size() && t[i].kind == Tok::word && t[i].lower == w;
}
bool is_number(const std::vector<Tok>& t, std::size_t i) { return i < t.size() && t[i].kind == Tok::number; }

// "95% CI", "95 % CI", "95% confidence interval", "95% confidence interval (CI)": the level and
// the index of the first token after the anchor. Credible intervals are not confidence intervals.
struct Anchor {
  std::size_t begin = 0, end = 0;
  double level = 0;
};
std::optional<Anchor> anchor_at(const std::vector<Tok>& t, std::size_t i) {
  if (!is_number(t, i) || !t[i].percent) return std::nullopt;
  Anchor a{i, i + 1, t[i].value};
  if (is_word(t, i + 1, "ci") || is_word(t, i + 1, "cis")) {
    a.end = i + 2;
  } else if (is_word(t, i + 1, "confidence") &&
             (is_word(t, i + 2, "interval") || is_word(t, i + 2, "intervals") || is_word(t, i + 2, "limits"))) {
    a.end = i + 3;
    if (is_punct(t, a.end, "(") && is_word(t, a.end + 1, "ci") && is_punct(t, a.end + 2, ")")) a.end += 3;
  } else {
    return std::nullopt;
  }
  return a;
}

// The bounds "lo to hi", "lo; hi", "lo, hi", "lo-hi" starting at token i; the index after hi.
struct Bounds {
  double lo = 0, hi = 0;
  std::size_t end = 0;
};
std::optional<Bounds> bounds_at(const std::vector<Tok>& t, std::size_t i) {
  if (!is_number(t, i)) return std::nullopt;
  const std::size_t sep = i + 1;
  if (!(is_word(t, sep, "to") || is_punct(t, sep, ";,-"))) return std::nullopt;
  if (!is_number(t, sep + 1)) return std::nullopt;
  return Bounds{t[i].value, t[sep + 1].value, sep + 2};
}

// Unit words that may stand between a value and its interval ("-7.0 mm, 95% CI").
bool unit_word(const Tok& k) {
  static const char* const units[] = {"mm", "cm",   "points", "point", "degrees", "secs",  "sec", "seconds",
                                      "s",  "days", "hours",  "kg",    "pts",     "units", "min", "minutes"};
  if (k.kind != Tok::word) return false;
  for (const char* u : units)
    if (k.lower == u) return true;
  return false;
}

// "-3.1 points on the RMDQ (95% CI ...)": when the tokens before k end with a unit followed by
// "on [the|a]" and a one- or two-word scale name, the index just past that unit; otherwise k.
std::size_t past_unit_before_scale(const std::vector<Tok>& t, std::size_t k) {
  for (std::size_t words = 1; words <= 2 && words <= k; ++words) {
    if (t[k - words].kind != Tok::word) break;
    std::size_t p = k - words;
    if (p > 0 && (is_word(t, p - 1, "the") || is_word(t, p - 1, "a"))) --p;
    if (p > 1 && is_word(t, p - 1, "on") && unit_word(t[p - 2])) return p - 1;
  }
  return k;
}

// ---- What a value is ------------------------------------------------------------------------

struct Keyword {
  const char* phrase;   // lower case, matched at word boundaries; abbreviations in capitals, exactly
  const char* measure;  // "" for a group's own mean: not an effect
  const char* kind;
  bool abbreviation;
};
const Keyword keywords[] = {
    {"standardised mean difference", "SMD", "standardised mean difference", false},
    {"standardized mean difference", "SMD", "standardised mean difference", false},
    {"SMD", "SMD", "SMD", true},
    {"effect size", "SMD", "effect size", false},
    {"effect sizes", "SMD", "effect size", false},
    {"mean difference", "MD", "mean difference", false},
    {"mean differences", "MD", "mean difference", false},
    {"MD", "MD", "mean difference", true},
    {"difference", "MD", "difference", false},
    {"differences", "MD", "difference", false},
    {"between-group", "MD", "between-group difference", false},
    {"between group", "MD", "between-group difference", false},
    {"treatment effect", "MD", "treatment effect", false},
    {"risk difference", "RD", "risk difference", false},
    {"absolute risk reduction", "RD", "absolute risk reduction", false},
    {"RD", "RD", "risk difference", true},
    {"risk ratio", "RR", "risk ratio", false},
    {"relative risk", "RR", "relative risk", false},
    {"rate ratio", "RR", "rate ratio", false},
    {"RR", "RR", "risk ratio", true},
    {"odds ratio", "OR", "odds ratio", false},
    {"odds ratios", "OR", "odds ratio", false},
    {"OR", "OR", "odds ratio", true},
    {"hazard ratio", "HR", "hazard ratio", false},
    {"HR", "HR", "hazard ratio", true},
    {"number needed to treat", "other", "NNT", false},
    {"NNT", "other", "NNT", true},
    {"number needed to harm", "other", "NNH", false},
    {"NNH", "other", "NNH", true},
    {"interaction", "other", "interaction (effect modification)", false},
    {"interactions", "other", "interaction (effect modification)", false},
};

bool boundary(const std::string& s, std::size_t at, std::size_t len) {
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return (at == 0 || !word(s[at - 1])) && (at + len >= s.size() || !word(s[at + len]));
}

// The keyword that ends nearest the value in normalised text [from, to): the measure it names.
const Keyword* nearest_keyword(const std::string& text, std::size_t from, std::size_t to) {
  const std::string span = text.substr(from, to - from);
  std::string lowered = span;
  for (auto& c : lowered) c = lower(c);
  const Keyword* best = nullptr;
  std::size_t best_end = 0, best_len = 0;
  for (const auto& k : keywords) {
    const std::string phrase = k.phrase;
    const std::string& hay = k.abbreviation ? span : lowered;
    for (std::size_t at = hay.find(phrase); at != std::string::npos; at = hay.find(phrase, at + 1)) {
      if (!boundary(hay, at, phrase.size())) continue;
      const std::size_t end = at + phrase.size();
      if (end > best_end || (end == best_end && phrase.size() > best_len)) {
        best = &k;
        best_end = end;
        best_len = phrase.size();
      }
    }
  }
  return best;
}

const Keyword group_value{"mean", "", "a group's own value", false};

// A group's own mean or median written just before the value ("acupuncture mean: 1768.7").
bool group_value_before(const std::vector<Tok>& t, std::size_t value) {
  std::size_t i = value;
  while (i > 0 && is_punct(t, i - 1, ":=,")) --i;
  return i > 0 && (is_word(t, i - 1, "mean") || is_word(t, i - 1, "median"));
}

std::string original(std::string_view sentence, const Normalised& n, std::size_t b, std::size_t e) {
  const std::size_t ob = n.from[b], oe = n.from[e];
  std::string s(sentence.substr(ob, oe - ob));
  // Trim and squash: this is a label, the quote is the sentence itself.
  std::string out;
  for (char c : s) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '(' || out.back() == '[' || out.back() == ',' ||
                          out.back() == ';' || out.back() == ':'))
    out.pop_back();
  std::size_t lead = 0;
  while (lead < out.size() &&
         (out[lead] == ' ' || out[lead] == ')' || out[lead] == ']' || out[lead] == ',' || out[lead] == ';'))
    ++lead;
  return out.substr(lead);
}

// ---- Follow-up --------------------------------------------------------------------------

std::optional<double> number_word(const std::string& w) {
  static const char* const words[] = {"one",     "two",     "three",     "four",     "five",     "six",      "seven",
                                      "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen", "fourteen",
                                      "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
  for (std::size_t i = 0; i < std::size(words); ++i)
    if (w == words[i]) return static_cast<double>(i + 1);
  if (w == "twenty-four") return 24;
  return std::nullopt;
}

// Weeks per unit word, 0 when it is not a unit of time.
double weeks_per(const std::string& unit) {
  if (unit == "day" || unit == "days") return 1.0 / 7;
  if (unit == "week" || unit == "weeks" || unit == "wk" || unit == "wks") return 1;
  if (unit == "month" || unit == "months" || unit == "mo") return 52.0 / 12;
  if (unit == "year" || unit == "years" || unit == "yr" || unit == "yrs") return 52;
  return 0;
}

std::optional<double> count_at(const std::vector<Tok>& t, std::size_t i) {
  if (i >= t.size()) return std::nullopt;
  if (t[i].kind == Tok::number && !t[i].percent && t[i].value > 0 && t[i].value <= 520) return t[i].value;
  if (t[i].kind == Tok::word) return number_word(t[i].lower);
  return std::nullopt;
}

}  // namespace

std::vector<std::string_view> split_sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  auto push = [&](std::size_t end) {
    while (start < end && is_space(text[start])) ++start;
    std::size_t e = end;
    while (e > start && is_space(text[e - 1])) --e;
    if (e > start) out.push_back(text.substr(start, e - start));
    start = end;
  };
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c != '.' && c != '?' && c != '!') continue;
    if (!is_space(text[i + 1])) continue;
    std::size_t j = i + 1;
    while (j < text.size() && is_space(text[j])) ++j;
    if (j >= text.size()) break;
    const char next = text[j];
    if (!(std::isupper(static_cast<unsigned char>(next)) || is_digit(next) || next == '(' || next == '[')) continue;
    if (c == '.' && abbreviation_before(text, i)) continue;
    push(i + 1);
  }
  push(text.size());
  return out;
}

namespace {

// One pass over a sentence's tokens, left to right: each 95% interval with the value it belongs
// to, classed by the nearest measure word before it (or the previous interval's, in a list).
class EffectScanner {
 public:
  explicit EffectScanner(std::string_view sentence)
      : sentence_(sentence), n_(normalise_numbers(sentence)), t_(tokens_of(n_.text)), used_(t_.size(), false) {}

  std::vector<ExtractedEffect> scan() {
    for (std::size_t i = 0; i < t_.size(); ++i) {
      if (used_[i]) continue;
      if (const auto a = anchor_at(t_, i))
        i = after_anchor(i, *a);
      else if (seen_anchor_ && is_number(t_, i))
        i = list_item(i);
    }
    return std::move(out_);
  }

 private:
  // At an anchor ("95% CI"): the interval after it and the value it belongs to. Returns the last
  // token consumed.
  std::size_t after_anchor(std::size_t i, const Anchor& a) {
    seen_anchor_ = a.level == 95;
    if (!seen_anchor_) {  // another level: its numbers are left alone, and so is the rest of the list
      for (std::size_t k = i; k < a.end; ++k) used_[k] = true;
      return i;
    }
    std::size_t j = a.end;
    // "(95% CI) v (lo to hi)": the anchor labels the value that follows.
    if (is_punct(t_, j, ")") && i > 0 && is_punct(t_, i - 1, "(")) {
      const std::size_t v = j + 1;
      if (is_number(t_, v) && is_punct(t_, v + 1, "([")) {
        if (const auto b = bounds_at(t_, v + 2); b && is_punct(t_, b->end, ")]")) {
          take(v, b->lo, b->hi, v, b->end + 1);
          return b->end;
        }
      }
      return i;
    }
    while (is_punct(t_, j, ":,=([")) ++j;
    const auto b = bounds_at(t_, j);
    if (!b) return i;
    // The value: the nearest number before the anchor, past brackets, separators and a unit.
    std::size_t k = i;
    int skipped = 0;
    while (k > 0 && skipped < 4 && is_punct(t_, k - 1, "([,;:=")) --k, ++skipped;
    k = past_unit_before_scale(t_, k);
    while (k > 0 && skipped < 4 && (is_punct(t_, k - 1, "([,;:=") || unit_word(t_[k - 1]))) --k, ++skipped;
    if (k == 0 || !is_number(t_, k - 1) || used_[k - 1]) return i;
    std::size_t end = b->end;
    if (is_punct(t_, end, ")]")) ++end;
    take(k - 1, b->lo, b->hi, k - 1, end);
    return end - 1;
  }

  // "v (lo to hi)" after a 95% CI was named: the next item of the list.
  std::size_t list_item(std::size_t i) {
    std::size_t j = i + 1;
    while (j < t_.size() && unit_word(t_[j]) && j < i + 3) ++j;
    if (!is_punct(t_, j, "([")) return i;
    const auto b = bounds_at(t_, j + 1);
    if (!b || !is_punct(t_, b->end, ")]")) return i;
    take(i, b->lo, b->hi, i, b->end + 1);
    return b->end;
  }

  void take(std::size_t value_tok, double lo, double hi, std::size_t first_tok, std::size_t end_tok) {
    for (std::size_t k = first_tok; k < end_tok && k < t_.size(); ++k) used_[k] = true;
    const double v = t_[value_tok].value;
    const std::size_t ctx_end = t_[std::min(first_tok, value_tok)].b;
    const Keyword* k = group_value_before(t_, value_tok)
                           ? &group_value
                           : nearest_keyword(n_.text, std::min(context_from_, ctx_end), ctx_end);
    if (!k && have_previous_) k = previous_;  // the next item of a list
    const std::size_t ctx_from = context_from_;
    context_from_ = t_[end_tok - 1].e;
    previous_ = k;
    have_previous_ = true;
    if (!k || k->measure[0] == '\0') return;          // no between-group measure named: not an effect
    if (!(lo <= v && v <= hi) || !(lo < hi)) return;  // not an interval around its estimate
    const std::string measure = k->measure;
    if ((measure == "RR" || measure == "OR" || measure == "HR") && lo <= 0) return;
    ExtractedEffect e;
    e.measure = measure;
    e.kind = k->kind;
    e.value = v;
    e.ci_low = lo;
    e.ci_high = hi;
    e.as_written = original(sentence_, n_, t_[std::min(first_tok, value_tok)].b, t_[end_tok - 1].e);
    e.context = original(sentence_, n_, std::min(ctx_from, ctx_end), ctx_end);
    e.quote = std::string(sentence_);
    out_.push_back(std::move(e));
  }

  std::string_view sentence_;
  Normalised n_;
  std::vector<Tok> t_;
  std::vector<bool> used_;
  bool seen_anchor_ = false;           // a 95% CI was named earlier in the sentence: "v (lo to hi)" continues it
  std::size_t context_from_ = 0;       // normalised byte where the words before the next value begin
  const Keyword* previous_ = nullptr;  // the class of the previous interval in this sentence
  bool have_previous_ = false;
  std::vector<ExtractedEffect> out_;
};

}  // namespace

std::vector<ExtractedEffect> effects_in_sentence(std::string_view sentence) { return EffectScanner(sentence).scan(); }

std::vector<ExtractedFollowUp> follow_ups_in_sentence(std::string_view sentence) {
  std::vector<ExtractedFollowUp> out;
  const Normalised n = normalise_numbers(sentence);
  const std::vector<Tok> t = tokens_of(n.text);
  auto add = [&](double count, std::size_t count_tok, std::size_t unit_tok) {
    const double weeks = std::round(count * weeks_per(t[unit_tok].lower) * 100) / 100;
    if (weeks <= 0 || weeks > 520) return;
    for (const auto& f : out)
      if (f.weeks == weeks) return;
    ExtractedFollowUp f;
    f.weeks = weeks;
    f.label = original(sentence, n, t[count_tok].b, t[unit_tok].e);
    f.quote = std::string(sentence);
    out.push_back(std::move(f));
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    // "<n>-month follow-up", "<n> weeks follow-up", "<n>-week post-treatment"
    if (const auto c = count_at(t, i)) {
      std::size_t u = i + 1;
      if (is_punct(t, u, "-")) ++u;
      if (u < t.size() && weeks_per(t[u].lower) > 0) {
        std::size_t f = u + 1;
        if (is_word(t, f, "follow") || is_word(t, f, "followup") ||
            (is_punct(t, f, "-") && is_word(t, f + 1, "follow")) || is_word(t, f, "post") ||
            (is_word(t, f, "after") && (is_word(t, f + 1, "randomisation") || is_word(t, f + 1, "randomization"))))
          add(*c, i, u);
      }
    }
    // "at|after|by <n>[, <n> and <n>] <unit>", "follow-up of <n> <unit>"
    const bool trigger = is_word(t, i, "at") || is_word(t, i, "after") || is_word(t, i, "by") ||
                         (is_word(t, i, "of") && i >= 1 && (is_word(t, i - 1, "up") || is_word(t, i - 1, "followup")));
    if (!trigger) continue;
    std::vector<std::pair<double, std::size_t>> counts;
    std::size_t j = i + 1;
    while (const auto c = count_at(t, j)) {
      counts.push_back({*c, j});
      ++j;
      if (is_punct(t, j, ",")) ++j;
      if (is_word(t, j, "and") || is_word(t, j, "or")) ++j;
    }
    if (counts.empty()) continue;
    std::size_t u = counts.back().second + 1;
    if (is_punct(t, u, "-")) ++u;
    if (u >= t.size() || weeks_per(t[u].lower) <= 0) continue;
    // "at 3 months of age" or "after 6 weeks of pain" is not a time point of the trial.
    if (is_word(t, u + 1, "of") && (is_word(t, u + 2, "age") || is_word(t, u + 2, "pain"))) continue;
    for (const auto& [c, tok] : counts) add(c, tok, u);
  }
  return out;
}

AbstractNumbers extract_numbers(const std::vector<AbstractSection>& abstract) {
  AbstractNumbers out;
  for (const auto& sec : abstract) {
    for (const std::string_view s : split_sentences(sec.text)) {
      for (auto& e : effects_in_sentence(s)) {
        e.section = sec.label;
        out.effects.push_back(std::move(e));
      }
      for (auto& f : follow_ups_in_sentence(s)) {
        const bool known = std::any_of(out.follow_ups.begin(), out.follow_ups.end(),
                                       [&](const ExtractedFollowUp& x) { return x.weeks == f.weeks; });
        if (known) continue;
        f.section = sec.label;
        out.follow_ups.push_back(std::move(f));
      }
      if (!out.participants)
        if (const auto n = detail::sample_size(std::string(s), false))
          out.participants = ExtractedCount{*n, std::string(s), sec.label};
    }
  }
  return out;
}

namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string where(const std::string& section) {
  return section.empty() ? "the abstract" : "the abstract (" + section + ")";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string origin_words(const Study& s, const char* field) {
  const auto it = s.annotation.origins.find(field);
  if (it == s.annotation.origins.end()) return "not annotated";
  switch (it->second) {
    case Origin::curated: return "from a curated record";
    case Origin::source_metadata:
      return "annotated from the source's structured fields (MeSH, registry arms, publication types)";
    case Origin::text: return "annotated automatically from the title and abstract wording";
    case Origin::estimated: return "estimated";
  }
  return "annotated";
}

// The outcome domain (and instrument) the words before a value name: the last one mentioned in
// its own context, else in the sentence before it (a list item "and at rest" is still about the
// pain named before it, not the function named after it).
void domain_of(const Vocabulary& v, const ExtractedEffect& e, OutcomeResult& o) {
  const std::size_t at = e.quote.find(e.as_written);
  const std::string before = at == std::string::npos ? e.quote : e.quote.substr(0, at);
  for (const std::string* text : {&e.context, &before}) {
    std::string domain, instrument;
    for (const auto& m : v.match(*text)) {
      const Concept* c = v.find(m.concept_id);
      if (!c) continue;
      if (c->kind == "outcome" && c->id != "benefit") domain = c->id, instrument.clear();
      if (c->kind == "instrument") {
        instrument = c->id;
        for (const auto& p : c->parents)
          if (const Concept* d = v.find(p); d && d->kind == "outcome") domain = d->id;
      }
    }
    if (!domain.empty()) {
      o.domain = domain;
      o.instrument = instrument;
      return;
    }
  }
  o.domain = "benefit";
}

std::string source_of(const Study& s) {
  if (!s.identifiers.pmid.empty()) return "https://pubmed.ncbi.nlm.nih.gov/" + s.identifiers.pmid + "/";
  if (!s.identifiers.nct.empty()) return "https://clinicaltrials.gov/study/" + s.identifiers.nct;
  if (!s.identifiers.doi.empty()) return "https://doi.org/" + s.identifiers.doi;
  return "index record " + s.id;
}

// What a draft says it has not confirmed: one entry per field, with its candidate and quote.
class Unverified {
 public:
  explicit Unverified(Study& draft) : d_(draft) {}
  void operator()(std::string field, std::string candidate, std::string why, std::string quote = "") {
    d_.provenance.unverified.push_back({std::move(field), std::move(candidate), std::move(why), std::move(quote)});
  }

 private:
  Study& d_;
};

// The indexed record's bibliographic and design fields, each marked as copied, not confirmed.
Study draft_copy(const Study& indexed) {
  Study d;
  d.draft = true;
  d.id = std::string("draft-" + indexed.id).substr(0, 64);
  d.identifiers = indexed.identifiers;
  d.title = indexed.title;
  d.authors = indexed.authors;
  d.authors_complete = indexed.authors_complete;
  d.journal = indexed.journal;
  d.citation = indexed.citation;
  d.year = indexed.year;
  d.language = indexed.language;
  d.publication_types = indexed.publication_types;
  d.abstract = indexed.abstract;
  d.design = indexed.design == Design::meta_analysis ? Design::systematic_review : indexed.design;
  d.meta_analysis = indexed.meta_analysis;
  d.meta_analysis_stated = indexed.meta_analysis;
  d.design_label = indexed.design_label;
  d.population.conditions = indexed.population.conditions;
  d.population.duration = indexed.population.duration;
  d.population.description = indexed.population.description;
  d.population.n_trials = indexed.population.n_trials;
  d.interventions = indexed.interventions;
  d.comparators = indexed.comparators;
  d.same_trial_as = indexed.same_trial_as;
  d.supersedes = indexed.supersedes;
  d.retracted = indexed.retracted;
  d.annotation.sources = {"curated"};

  Unverified unverified(d);
  const std::string meta =
      "copied from the indexed record (" + joined(indexed.annotation.sources) + "); confirm against the article";
  unverified("title", "", meta);
  if (!d.authors.empty()) unverified("authors", "", meta);
  unverified("year", std::to_string(d.year), meta);
  if (!d.journal.empty()) unverified("journal", "", meta);
  if (!d.identifiers.empty()) unverified("identifiers", "", meta);
  unverified("design", design_name(d.design), "design " + origin_words(indexed, "design"));
  unverified("population.conditions", joined(d.population.conditions),
             "conditions " + origin_words(indexed, "conditions"));
  unverified("population.duration", d.population.duration, "duration " + origin_words(indexed, "duration"));
  unverified("interventions", "", "interventions " + origin_words(indexed, "interventions"));
  if (!d.comparators.empty()) unverified("comparators", "", "comparators " + origin_words(indexed, "comparators"));
  return d;
}

// The annotator's outcomes: the main result's direction (with its sentence) and the domains measured.
void draft_annotated_outcomes(Study& d, const Study& indexed) {
  Unverified unverified(d);
  for (const auto& o : indexed.outcomes) {
    const std::string field = "outcomes." + std::to_string(d.outcomes.size());
    d.outcomes.push_back(o);
    if (!o.result_text.empty())
      unverified(field + ".direction", direction_name(o.direction),
                 "direction of the main result as the abstract words it (read automatically); intervention, "
                 "comparator and outcome domain were not read from this sentence",
                 o.result_text);
    else
      unverified(field, o.domain, "an outcome domain the abstract mentions; no result was read for it");
  }
}

// The number of participants (the abstract's, else the indexed record's) and the time points
// the abstract names.
void draft_size_and_times(Study& d, const Study& indexed, const AbstractNumbers& numbers) {
  Unverified unverified(d);
  if (numbers.participants) {
    if (d.design == Design::rct || d.design == Design::non_randomised_trial)
      d.population.n_randomised = numbers.participants->n;
    else
      d.population.n_participants = numbers.participants->n;
    unverified(d.population.n_randomised ? "population.n_randomised" : "population.n_participants",
               std::to_string(numbers.participants->n),
               "read from " + where(numbers.participants->section) + "; check it is the number randomised",
               numbers.participants->quote);
  } else if (indexed.population.n_randomised || indexed.population.n_participants) {
    d.population.n_randomised = indexed.population.n_randomised;
    d.population.n_participants = indexed.population.n_participants;
    unverified(d.population.n_randomised ? "population.n_randomised" : "population.n_participants",
               std::to_string(d.participants()), "size " + origin_words(indexed, "sample_size"));
  }
  for (const auto& f : numbers.follow_ups)
    unverified("outcomes.*.follow_up_weeks", number_text(f.weeks) + " (" + f.label + ")",
               "a time point named in " + where(f.section) + "; give it to the results measured then", f.quote);
}

// An outcome for one effect the abstract states, between the record's interventions and
// comparators (their concepts), with the follow-up its sentence names when it names one.
OutcomeResult drafted_outcome(const ExtractedEffect& e, const Vocabulary& v,
                              const std::vector<std::string>& intervention,
                              const std::vector<std::string>& comparator) {
  OutcomeResult o;
  domain_of(v, e, o);
  o.intervention = intervention;
  o.comparator = comparator;
  o.comparator_kind = comparator.empty() ? ComparatorKind::mixed : v.comparator_kind(comparator);
  o.direction = Direction::unclear;
  const auto times = follow_ups_in_sentence(e.quote);
  if (times.size() == 1) {
    o.follow_up_weeks = times.front().weeks;
    o.time_point = time_point_of_weeks(times.front().weeks);
    o.time_label = times.front().label;
  }
  Effect effect;
  effect.measure = e.measure;
  effect.value = e.value;
  effect.ci_low = e.ci_low;
  effect.ci_high = e.ci_high;
  effect.label = e.kind + (e.context.empty() ? "" : ": " + e.context.substr(0, 300));
  o.effect = effect;
  o.result_text = e.quote;
  return o;
}

// One outcome per effect with a 95% CI the abstract states; none without an intervention.
void draft_effects(Study& d, const Vocabulary& v, const AbstractNumbers& numbers) {
  Unverified unverified(d);
  std::vector<std::string> intervention, comparator;
  for (const auto& a : d.interventions) intervention.insert(intervention.end(), a.concepts.begin(), a.concepts.end());
  for (const auto& a : d.comparators) comparator.insert(comparator.end(), a.concepts.begin(), a.concepts.end());
  for (const auto& e : numbers.effects) {
    const std::string candidate = e.measure + (e.measure == "other" ? " (" + e.kind + ")" : "") + " " +
                                  number_text(e.value) + " (95% CI " + number_text(e.ci_low) + " to " +
                                  number_text(e.ci_high) + ")";
    if (intervention.empty()) {
      // An outcome needs an intervention: the curator adds it by hand.
      unverified("outcomes.new.effect", candidate,
                 "read from " + where(e.section) + ", as written \"" + e.as_written +
                     "\"; no intervention was annotated, so no outcome was drafted for it",
                 e.quote);
      continue;
    }
    OutcomeResult o = drafted_outcome(e, v, intervention, comparator);
    const std::string field = "outcomes." + std::to_string(d.outcomes.size());
    const std::optional<double> weeks = o.follow_up_weeks;
    const std::string time_label = o.time_label;
    d.outcomes.push_back(std::move(o));
    unverified(field + ".effect", candidate,
               "read from " + where(e.section) + ", as written \"" + e.as_written +
                   "\"; which arm was subtracted from which (contrast), which way is better, the outcome domain "
                   "and the comparison are not confirmed",
               e.quote);
    if (weeks)
      unverified(field + ".follow_up_weeks", number_text(*weeks) + " (" + time_label + ")",
                 "the time point named in the effect's sentence", e.quote);
  }
}

}  // namespace

Study make_draft(const Study& indexed, const Vocabulary& v, const std::string& note) {
  Study d = draft_copy(indexed);
  draft_annotated_outcomes(d, indexed);
  const AbstractNumbers numbers = extract_numbers(indexed.abstract);
  draft_size_and_times(d, indexed, numbers);
  draft_effects(d, v, numbers);
  d.provenance.sources = {source_of(indexed)};
  d.provenance.notes =
      "DRAFT written by evidence-index --draft from index record " + indexed.id +
      ". Every field is unverified until a curator confirms it against the article (docs/CURATING.md); a draft "
      "is listed, never graded." +
      (note.empty() ? "" : " " + note);
  return d;
}

namespace {

// The indexed record an identifier names: its kind from its shape, else a record id.
std::optional<Study> find_record(const IndexReader& reader, const std::string& id) {
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool digits = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return is_digit(c); });
  if (digits) return reader.find_by_identifier("pmid", id);
  if (upper.rfind("NCT", 0) == 0) return reader.find_by_identifier("nct", upper);
  if (upper.rfind("PMC", 0) == 0) return reader.find_by_identifier("pmcid", upper);
  if (id.rfind("10.", 0) == 0) return reader.find_by_identifier("doi", id);
  return reader.get(id);
}

}  // namespace

DraftRun draft_from_index(const std::filesystem::path& db, const std::string& id,
                          const std::filesystem::path& schema_file, const std::filesystem::path& vocabulary_file) {
  namespace fs = std::filesystem;
  const fs::path vocab_path =
      vocabulary_file.empty() ? fs::path(EVIDENCE_SOURCE_DIR) / "schema/vocabulary.json" : vocabulary_file;
  const fs::path schema_path =
      schema_file.empty() ? fs::path(EVIDENCE_SOURCE_DIR) / "schema/study.schema.json" : schema_file;
  const Vocabulary vocabulary = Vocabulary::load(vocab_path);
  const RecordValidator validator = RecordValidator::from_file(schema_path, vocabulary);
  IndexReader reader(db);
  const std::optional<Study> indexed = find_record(reader, id);
  if (!indexed) throw Error(ErrorCode::not_found, "no indexed record has the identifier " + id);
  DraftRun run;
  run.record_id = indexed->id;
  run.draft = make_draft(*indexed, vocabulary, "Drafted from index revision " + reader.revision() + ".");
  run.record = study_to_json(run.draft, false);
  run.issues = validator.validate(run.record);
  const AbstractNumbers numbers = extract_numbers(indexed->abstract);
  run.effects = numbers.effects.size();
  run.follow_ups = numbers.follow_ups.size();
  run.participants = numbers.participants.has_value();
  return run;
}

}  // namespace evidence
