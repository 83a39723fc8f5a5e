#pragma once
// Readability of plain-language text: the Flesch-Kincaid grade level
//   0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
// with a rule-based English syllable counter. Pure functions, no exceptions.
#include <string_view>

namespace evidence {

struct ReadabilityStats {
  int sentences = 0, words = 0, syllables = 0;
  double grade = 0;         // Flesch-Kincaid grade level
  double reading_ease = 0;  // Flesch reading ease 206.835 - 1.015 (w/s) - 84.6 (syl/w)
};

int count_syllables(std::string_view word) noexcept;
ReadabilityStats readability(std::string_view text);

}  // namespace evidence
