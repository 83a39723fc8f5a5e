#pragma once
// The route table of the API: every endpoint with its method, path pattern and handler, in one
// place. The API is read-only, so every route is a GET (cpp-httplib answers HEAD from it too).
#include <httplib.h>

#include <span>

#include "evidence/context.hpp"
#include "evidence/handlers.hpp"

namespace evidence {

struct Route {
  const char* method;   // "GET"
  const char* pattern;  // a std::regex matched against the whole path
  Handler handler;
  const char* endpoint;  // the path as documented and listed by GET /api; nullptr: not listed
};

// In matching order: cpp-httplib tries patterns in the order they were registered, so the
// catch-all for unknown /api paths is last.
std::span<const Route> api_routes() noexcept;

// Registers every route of the table on `server`, each handler called with `context`, which
// must outlive the server.
void register_routes(httplib::Server& server, ApiContext& context);

}  // namespace evidence
