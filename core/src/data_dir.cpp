#include "evidence/data_dir.hpp"

#include <system_error>

namespace evidence {

namespace fs = std::filesystem;

namespace {

struct DataLocation {
  fs::path dir;
  bool installed = false;
};

// EVIDENCE_BIN_TO_DATA is the data folder relative to the installed executables' folder
// ("../share/backpain-evidence" for the usual layout); set by core/CMakeLists.txt.
DataLocation locate() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = (exe.parent_path() / EVIDENCE_BIN_TO_DATA).lexically_normal();
    if (fs::is_regular_file(installed / "schema/vocabulary.json", ec)) return {installed, true};
  }
  return {fs::path(EVIDENCE_SOURCE_DIR), false};
}

const DataLocation& location() {
  static const DataLocation where = locate();
  return where;
}

}  // namespace

const fs::path& data_dir() { return location().dir; }

bool running_installed() { return location().installed; }

fs::path default_index_dir() {
  return running_installed() ? fs::path(EVIDENCE_INSTALLED_INDEX) : fs::path(EVIDENCE_SOURCE_DIR) / "var/index";
}

}  // namespace evidence
