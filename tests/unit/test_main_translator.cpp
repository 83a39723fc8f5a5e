// Catch2 cannot print evidence::Error's code by itself; this translator makes failures readable.
#include <catch2/catch.hpp>

#include "evidence/errors.hpp"

CATCH_TRANSLATE_EXCEPTION(const evidence::Error& e) {
  return std::string(evidence::error_code_name(e.code())) + ": " + e.what();
}
