#pragma once
// Text utilities shared by annotation, vocabulary matching and query understanding.
// Pure functions; none throws except on allocation failure.
#include <string>
#include <string_view>
#include <vector>

namespace evidence {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Byte offset of the first invalid UTF-8 sequence, or npos.
std::size_t first_invalid_utf8(std::string_view s) noexcept;

// Lower-cases ASCII letters, turns punctuation and hyphens into spaces, folds common
// Latin-1 accents and collapses white space. Used for every term comparison.
std::string normalise(std::string_view s, bool keep_case = false);

// A word of running text: as written (case kept, punctuation removed) and folded for matching.
struct Token {
  std::string original;
  std::string folded;  // lower case, plural and -ise folded
};
std::vector<Token> tokenize(std::string_view text);

// Splits normalised text on spaces.
std::vector<std::string> split_words(std::string_view normalised);

// A word with a simple English plural or British/American ending folded
// ("trials" -> "trial", "randomised" -> "randomized", "therapies" -> "therapy").
std::string fold_word(std::string_view word);

// Collapses runs of white space and trims.
std::string squash_space(std::string_view s);

// Escapes a string for embedding in HTML text or attributes.
std::string html_escape(std::string_view s);

// Appends one reference token of a JSON Pointer (RFC 6901) to `out`: "~" as "~0", "/" as "~1".
void append_pointer_token(std::string_view token, std::string& out);

// Optimal string alignment distance (insertions, deletions, substitutions, swaps of neighbours)
// between two words, given up past `limit` (returns limit + 1).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

}  // namespace evidence
