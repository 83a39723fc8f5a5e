#pragma once
// Where the programs find the page, the schema, the vocabulary, the OpenAPI description and the
// curated corpus when no option names them.
//
// An installed program (<prefix>/bin/evidence-server) reads the installed copy,
// <prefix>/share/backpain-evidence, found relative to its own executable, so a package unpacked
// anywhere (dpkg-deb -x) works too. A program anywhere else, such as a build tree, reads the
// source tree it was built from (EVIDENCE_SOURCE_DIR), as the tests and scripts/serve expect.
#include <filesystem>

namespace evidence {

// The data folder: the installed copy when there is one beside the executable, else the source tree.
const std::filesystem::path& data_dir();

// True when data_dir() is the installed copy.
bool running_installed();

// The index evidence-server reads when given none: /var/lib/backpain-evidence/index for an
// installed program (CMake's EVIDENCE_INSTALLED_INDEX), var/index of the source tree otherwise.
std::filesystem::path default_index_dir();

}  // namespace evidence
