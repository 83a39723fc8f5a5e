#include "evidence/readability.hpp"

#include <cctype>
#include <string>

namespace evidence {

namespace {
bool vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }
bool ends(const std::string& w, std::string_view s) {
  return w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0;
}
}  // namespace

int count_syllables(std::string_view word) noexcept {
  std::string w;
  for (char c : word)
    if (std::isalpha(static_cast<unsigned char>(c)))
      w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (w.empty()) return 0;
  int groups = 0;
  bool in = false;
  for (char c : w) {
    if (vowel(c) && !in) ++groups;
    in = vowel(c);
  }
  // A silent final "e" ("care", "time") does not make a syllable; "-le" ("table") does.
  if (ends(w, "e") && !ends(w, "le") && groups > 1) --groups;
  // "-es"/"-ed" are silent except after t/d ("treated") or sibilants ("places").
  if ((ends(w, "es") || ends(w, "ed")) && groups > 1) {
    const char before = w.size() >= 3 ? w[w.size() - 3] : ' ';
    const bool voiced_ed = ends(w, "ed") && (before == 't' || before == 'd');
    const bool sibilant_es = ends(w, "es") && (before == 's' || before == 'x' || before == 'z' || before == 'c' ||
                                               before == 'g' || ends(w, "ches") || ends(w, "shes"));
    if (!voiced_ed && !sibilant_es) --groups;
  }
  return groups < 1 ? 1 : groups;
}

ReadabilityStats readability(std::string_view text) {
  ReadabilityStats st;
  std::string word;
  bool sentence_has_words = false;
  auto flush_word = [&] {
    if (word.empty()) return;
    bool has_alpha = false;
    for (char c : word) has_alpha = has_alpha || std::isalpha(static_cast<unsigned char>(c));
    ++st.words;
    st.syllables += has_alpha ? count_syllables(word) : 1;  // numbers count as one syllable
    sentence_has_words = true;
    word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isalnum(static_cast<unsigned char>(c)) || ((c == '\'' || c == '-') && !word.empty())) {
      word.push_back(c);
      continue;
    }
    if (c == '.' && !word.empty() && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      word.push_back(c);  // "2.5" is one word
      continue;
    }
    flush_word();
    if ((c == '.' || c == '!' || c == '?') && sentence_has_words &&
        (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])))) {
      ++st.sentences;
      sentence_has_words = false;
    }
  }
  flush_word();
  if (sentence_has_words) ++st.sentences;
  if (st.words == 0) return st;
  const double wps = static_cast<double>(st.words) / st.sentences;
  const double spw = static_cast<double>(st.syllables) / st.words;
  st.grade = 0.39 * wps + 11.8 * spw - 15.59;
  st.reading_ease = 206.835 - 1.015 * wps - 84.6 * spw;
  return st;
}

}  // namespace evidence
