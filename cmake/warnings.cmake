add_library(evidence_warnings INTERFACE)
target_compile_options(evidence_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(EVIDENCE_WARNINGS_AS_ERRORS)
  target_compile_options(evidence_warnings INTERFACE -Werror)
endif()
