#include "evidence/errors.hpp"

namespace evidence {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::index_unavailable: return "index_unavailable";
    case ErrorCode::index_locked: return "index_locked";
    case ErrorCode::index_corrupt: return "index_corrupt";
    case ErrorCode::query_too_long: return "query_too_long";
    case ErrorCode::query_too_complex: return "query_too_complex";
    case ErrorCode::remote_unavailable: return "remote_unavailable";
    case ErrorCode::remote_bad_answer: return "remote_bad_answer";
    case ErrorCode::busy: return "busy";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace evidence
