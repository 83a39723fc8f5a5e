#include "evidence/text.hpp"

#include <algorithm>
#include <vector>

#include <array>
#include <cstdint>

namespace evidence {

std::size_t first_invalid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07u;
    } else
      return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    // Overlong forms, surrogates and out-of-range code points are all invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) noexcept { return first_invalid_utf8(s) == std::string_view::npos; }

namespace {

// Folds the two-byte UTF-8 Latin-1 letters that occur in author names and some titles
// (é, ö, ß ...) so "Kröner" matches "kroner". Anything else non-ASCII becomes a space
// boundary only if it is punctuation-like; otherwise it is kept verbatim.
bool fold_latin1(unsigned char b1, unsigned char b2, std::string& out) {
  if (b1 != 0xC3) return false;
  static constexpr std::array<const char*, 64> map = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e",  "e",  "e", "e", "i", "i", "i", "i", "d",  "n", "o",  "o", "o", "o",
      "o", " ", "o", "u", "u", "u", "u",  "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e",  "e", "e", "e",
      "i", "i", "i", "i", "d", "n", "o",  "o", "o",  "o",  "o", " ", "o", "u", "u", "u", "u",  "y", "th", "y"};
  const unsigned idx = static_cast<unsigned>(b2) - 0x80u;
  if (idx >= 64) return false;
  out += map[idx];
  return true;
}

}  // namespace

std::string normalise(std::string_view s, bool keep_case) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  auto put_space = [&] {
    if (!space) {
      out.push_back(' ');
      space = true;
    }
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') {
        out.push_back(keep_case ? static_cast<char>(c) : static_cast<char>(c - 'A' + 'a'));
        space = false;
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out.push_back(static_cast<char>(c));
        space = false;
      } else if (c == '\'') { /* "patient's" -> "patients" keeps words whole */
      } else
        put_space();
      continue;
    }
    if (i + 1 < s.size() && fold_latin1(c, static_cast<unsigned char>(s[i + 1]), out)) {
      ++i;
      space = out.back() == ' ';
      continue;
    }
    // Other multi-byte sequences: punctuation (U+2000-U+206F: dashes, quotes) becomes a space,
    // letters from other scripts are kept so they can still be matched exactly.
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
      i += 2;
      put_space();
      continue;
    }
    if (c == 0xC2 && i + 1 < s.size()) {  // Latin-1 punctuation and NBSP
      ++i;
      put_space();
      continue;
    }
    out.push_back(static_cast<char>(c));
    space = false;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  for (auto& w : split_words(normalise(text, true))) {
    std::string lower = w;
    for (auto& ch : lower)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    tokens.push_back({std::move(w), fold_word(lower)});
  }
  return tokens;
}

std::vector<std::string> split_words(std::string_view normalised) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < normalised.size()) {
    while (i < normalised.size() && normalised[i] == ' ') ++i;
    std::size_t j = i;
    while (j < normalised.size() && normalised[j] != ' ') ++j;
    if (j > i) words.emplace_back(normalised.substr(i, j - i));
    i = j;
  }
  return words;
}

namespace {
bool ends_with(std::string_view w, std::string_view suf) {
  return w.size() >= suf.size() && w.compare(w.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

std::string fold_word(std::string_view word) {
  std::string w(word);
  if (w.size() <= 3) return w;
  // British -ise/-isation spellings fold to the American ones.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> spell = {{{"isation", "ization"},
                                                                                          {"isations", "izations"},
                                                                                          {"ised", "ized"},
                                                                                          {"ising", "izing"},
                                                                                          {"ise", "ize"},
                                                                                          {"ises", "izes"},
                                                                                          {"aemia", "emia"},
                                                                                          {"oedema", "edema"}}};
  for (const auto& [from, to] : spell) {
    if (ends_with(w, from) && w.size() > from.size() + 2) {
      // "exercise", "advise", "otherwise": -ise words that never take -ize.
      if (from == "ise" || from == "ises" || from == "ised" || from == "ising") {
        static constexpr std::array<std::string_view, 10> keep = {"exercis", "advis", "supervis", "revis",  "devis",
                                                                  "wis",     "nois",  "ris",      "promis", "compris"};
        const std::string stem = w.substr(0, w.size() - from.size() + 2);
        bool skip = false;
        for (auto k : keep)
          if (ends_with(stem, k)) skip = true;
        if (skip) break;
      }
      w = w.substr(0, w.size() - from.size()) + std::string(to);
      break;
    }
  }
  if (ends_with(w, "behaviour"))
    w = w.substr(0, w.size() - 9) + "behavior";
  else if (ends_with(w, "behavioural"))
    w = w.substr(0, w.size() - 11) + "behavioral";
  // Plurals.
  if (ends_with(w, "ies") && w.size() > 4) return w.substr(0, w.size() - 3) + "y";
  if (ends_with(w, "sses")) return w.substr(0, w.size() - 2);
  if (ends_with(w, "ss") || ends_with(w, "us") || ends_with(w, "is") || ends_with(w, "ous")) return w;
  if (ends_with(w, "s") && !ends_with(w, "ss")) return w.substr(0, w.size() - 1);
  return w;
}

std::string squash_space(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void append_pointer_token(std::string_view token, std::string& out) {
  for (char ch : token) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  // Three rows of the matrix, reused (a transposition looks two rows back), on the stack for
  // words of ordinary length: did-you-mean compares a word with every word of the vocabulary and
  // thousands of the index's, and a matrix allocated row by row per call cost more than the
  // comparisons.
  constexpr std::size_t short_word = 64;
  std::array<std::size_t, 3 * (short_word + 1)> local;
  std::vector<std::size_t> heap;
  std::size_t* rows = local.data();
  if (m > short_word) {
    heap.resize(3 * (m + 1));
    rows = heap.data();
  }
  auto row = [&](std::size_t i) { return rows + (i % 3) * (m + 1); };
  for (std::size_t j = 0; j <= m; ++j) row(0)[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    std::size_t* d = row(i);
    const std::size_t* up = row(i - 1);
    const std::size_t* up2 = i > 1 ? row(i - 2) : nullptr;
    d[0] = i;
    std::size_t row_min = limit + 1;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[j] = std::min({up[j] + 1, d[j - 1] + 1, up[j - 1] + cost});
      if (up2 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[j] = std::min(d[j], up2[j - 2] + 1);
      row_min = std::min(row_min, d[j]);
    }
    if (row_min > limit) return limit + 1;
  }
  return row(n)[m];
}

}  // namespace evidence
