# Every dependency comes from a Debian package; scripts/install-deps installs them.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)

# Xapian's CMake config sets variables only; wrap them in an imported target.
find_package(Xapian 1.4 REQUIRED)
if(NOT TARGET Xapian::Xapian)
  add_library(Xapian::Xapian UNKNOWN IMPORTED)
  set_target_properties(Xapian::Xapian PROPERTIES
    IMPORTED_LOCATION "${XAPIAN_LIBRARIES}"
    INTERFACE_INCLUDE_DIRECTORIES "${XAPIAN_INCLUDE_DIR}")
endif()

find_package(pugixml REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(valijson REQUIRED)
find_package(CLI11 REQUIRED)

# cpp-httplib 0.11.4 is a compiled library: its pkg-config flags (SSL, zlib, brotli)
# must match the ones the library was built with, or the class layout differs.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)

if(EVIDENCE_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
