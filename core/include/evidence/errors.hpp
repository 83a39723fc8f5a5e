#pragma once
// Errors that cross the core library's wall. Programming and I/O errors throw evidence::Error
// with a stable code; data problems in records are returned as reports (see record_validator.hpp),
// never thrown. Xapian exceptions never leave the core library: they are mapped to Error here.
#include <stdexcept>
#include <string>

namespace evidence {

enum class ErrorCode {
  invalid_argument,    // caller passed something unusable (bad option, bad query syntax)
  not_found,           // a named thing (study id, file) does not exist
  io_error,            // a file could not be read or written
  index_unavailable,   // the index does not exist or cannot be opened
  index_locked,        // another writer holds the index lock
  index_corrupt,       // the index is damaged
  query_too_long,      // the query text is longer than max_query_length (search.hpp)
  query_too_complex,   // the query exceeds a limit
  remote_unavailable,  // a remote service (PubMed, ClinicalTrials.gov) could not be reached or kept failing
  remote_bad_answer,   // a remote service answered with something unusable (malformed page, refused request)
  busy,                // at a limit on work of this kind in flight (the server's export slots); try again shortly
  internal             // a bug or an unexpected library failure
};

// Stable snake_case name used in JSON error bodies and logs.
const char* error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace evidence
