#pragma once
// The server library in one include, for the tests and the fuzz harness that use several of its
// parts: the server and its options (server.hpp), the request parameters (params.hpp) and the
// export formats (exports.hpp).
#include "evidence/exports.hpp"
#include "evidence/params.hpp"
#include "evidence/server.hpp"
