#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "evidence/readability.hpp"
#include "evidence/text.hpp"

using namespace evidence;

namespace {

// The bounded edit distance as first written (a full matrix), the reference for the three-row one.
std::size_t matrix_edit_distance(const std::string& a, const std::string& b, std::size_t limit) {
  const std::size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    std::size_t row_min = limit + 1;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      row_min = std::min(row_min, d[i][j]);
    }
    if (row_min > limit) return limit + 1;
  }
  return d[n][m];
}

}  // namespace

TEST_CASE("UTF-8 validation accepts real text and rejects malformed sequences", "[text]") {
  CHECK(is_valid_utf8("Müller – résumé ≥ 12"));
  CHECK_FALSE(is_valid_utf8("bad \xC3"));                  // truncated sequence
  CHECK_FALSE(is_valid_utf8("overlong \xC0\xAF"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("surrogate \xED\xA0\x80"));    // UTF-16 surrogate
  CHECK_FALSE(is_valid_utf8("too big \xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK(first_invalid_utf8("ok\xFFno") == 2);
}

TEST_CASE("normalise lower-cases, folds accents and turns punctuation into spaces", "[text]") {
  CHECK(normalise("Low-Back  Pain (LBP)") == "low back pain lbp");
  CHECK(normalise("Müller") == "muller");
  CHECK(normalise("patient's") == "patients");
  CHECK(normalise("X-ray/MRI") == "x ray mri");
  CHECK(normalise("pain\xE2\x80\x94relief") == "pain relief");  // em dash
}

TEST_CASE("fold_word folds plurals and British spellings", "[text]") {
  CHECK(fold_word("trials") == "trial");
  CHECK(fold_word("therapies") == "therapy");
  CHECK(fold_word("randomised") == "randomized");
  CHECK(fold_word("mobilisation") == "mobilization");
  CHECK(fold_word("exercise") == "exercise");  // never "exercize"
  CHECK(fold_word("exercises") == "exercise");
  CHECK(fold_word("stenosis") == "stenosis");
  CHECK(fold_word("behavioural") == "behavioral");
}

TEST_CASE("tokenize keeps the written form and the folded form", "[text]") {
  const auto t = tokenize("TENS for Chronic LBP");
  REQUIRE(t.size() == 4);
  CHECK(t[0].original == "TENS");
  CHECK(t[0].folded == "ten");  // plural folding applies to lower-cased words; abbreviations match on the original
  CHECK(t[3].original == "LBP");
}

TEST_CASE("html_escape escapes markup", "[text]") {
  CHECK(html_escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;");
  CHECK(html_escape("a & \"b\" 'c'") == "a &amp; &quot;b&quot; &#39;c&#39;");
}

// Flesch-Kincaid grade = 0.39 (words/sentences) + 11.8 (syllables/words) - 15.59 (Kincaid et al.
// 1975). The expected values below are worked by hand from that formula and the syllable counts.
TEST_CASE("syllable counter follows English rules", "[readability]") {
  CHECK(count_syllables("cat") == 1);
  CHECK(count_syllables("care") == 1);     // silent e
  CHECK(count_syllables("table") == 2);    // -le is a syllable
  CHECK(count_syllables("treated") == 2);  // -ed after t is voiced
  CHECK(count_syllables("helped") == 1);   // -ed silent
  CHECK(count_syllables("places") == 2);   // -es after c is voiced
  CHECK(count_syllables("acupuncture") == 4);
  CHECK(count_syllables("therapy") == 3);
}

TEST_CASE("Flesch-Kincaid grade matches the formula on hand-counted text", "[readability]") {
  // 6 words, 1 sentence, 6 syllables: 0.39*6 + 11.8*1 - 15.59 = -1.45
  const auto a = readability("The cat sat on the mat.");
  CHECK(a.words == 6);
  CHECK(a.sentences == 1);
  CHECK(a.syllables == 6);
  CHECK(a.grade == Approx(-1.45).margin(1e-9));
  // 2 sentences, 9 words, 13 syllables: Acupuncture 4, helped 1, some 1, people 2; It 1, was 1,
  // not 1, a 1, cure 1.
  const auto b = readability("Acupuncture helped some people. It was not a cure.");
  CHECK(b.words == 9);
  CHECK(b.sentences == 2);
  CHECK(b.syllables == 13);
  CHECK(b.grade == Approx(0.39 * 9.0 / 2 + 11.8 * 13.0 / 9 - 15.59).margin(1e-9));
  // Numbers count as one syllable and "2.5" is one word.
  const auto c = readability("Pain fell by 2.5 points.");
  CHECK(c.words == 5);
  CHECK(c.syllables == 5);
}

TEST_CASE("the bounded edit distance counts edits and transpositions up to its limit", "[text]") {
  CHECK(edit_distance("acupuncture", "acupuncture", 2) == 0);
  CHECK(edit_distance("accupuncture", "acupuncture", 2) == 1);  // an extra letter
  CHECK(edit_distance("acupucnture", "acupuncture", 2) == 1);   // two letters swapped
  CHECK(edit_distance("matress", "mattress", 1) == 1);
  CHECK(edit_distance("stretching", "streching", 1) == 1);
  CHECK(edit_distance("yoga", "pilates", 2) == 3);     // lengths too far apart: the limit + 1
  CHECK(edit_distance("massage", "passive", 1) == 2);  // past the limit: the limit + 1
  // Against the full matrix, over words and their random misspellings of every length up to
  // past the short-word buffer (64 letters), for limits 1 and 2.
  std::mt19937 rng(7);
  const std::string letters = "abcdeilmnoprstu";
  auto random_word = [&](std::size_t len) {
    std::string w;
    for (std::size_t i = 0; i < len; ++i) w += letters[rng() % letters.size()];
    return w;
  };
  std::size_t compared = 0, within = 0;
  for (std::size_t len = 0; len <= 70; ++len)
    for (int k = 0; k < 40; ++k) {
      const std::string a = random_word(len);
      std::string b = a;
      for (int e = static_cast<int>(rng() % 4); e > 0; --e) {
        const std::size_t at = b.empty() ? 0 : rng() % (b.size() + 1);
        switch (rng() % 4) {
          case 0: b.insert(at, 1, letters[rng() % letters.size()]); break;
          case 1:
            if (at < b.size()) b.erase(at, 1);
            break;
          case 2:
            if (at < b.size()) b[at] = letters[rng() % letters.size()];
            break;
          default:
            if (at + 1 < b.size()) std::swap(b[at], b[at + 1]);
        }
      }
      for (const std::size_t limit : {1u, 2u}) {
        const std::size_t d = edit_distance(a, b, limit);
        INFO(a << " / " << b << " limit " << limit);
        REQUIRE(d == matrix_edit_distance(a, b, limit));
        REQUIRE(edit_distance(b, a, limit) == matrix_edit_distance(b, a, limit));
        ++compared;
        within += d <= limit;
      }
    }
  CHECK(compared == 71 * 40 * 2);
  CHECK(within > 1000);  // the misspellings mostly fall within the limit, so both branches ran
}
