#pragma once
// Building URLs: one percent-encoding for every part of the project that writes one (the fetch
// client's query strings, the server's feed links and ids). Header-only, so that libraries which
// see no Xapian (evidence_fetch links only evidence_errors) share it with the server. Throws nothing
// but std::bad_alloc.
#include <string>

namespace evidence {

// RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - . _ ~),
// in upper-case hex: percent_encode("low back/pain") == "low%20back%2Fpain".
inline std::string percent_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace evidence
