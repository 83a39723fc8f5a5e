add_library(evidence_warnings INTERFACE)
target_compile_options(evidence_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 reports false -Wrestrict positives inside libstdc++ string code at -O3.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
if(EVIDENCE_WARNINGS_AS_ERRORS)
  target_compile_options(evidence_warnings INTERFACE -Werror)
endif()
