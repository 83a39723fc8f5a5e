#pragma once
// The route table of the API: every endpoint with its method, path pattern and handler, in one
// place. The API is read-only, so every route is a GET (cpp-httplib answers HEAD from it too).
// Beside it, the table of the web pages that have a path of their own (/about), served from the
// web directory.
#include <httplib.h>

#include <span>
#include <string>

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

// A page of the web directory served at a path without ".html" (GET /about -> about.html).
struct Page {
  const char* path;  // exact path
  const char* file;  // file name in ServerOptions::web
};
std::span<const Page> web_pages() noexcept;

// Whether errors at `path` are answered as JSON with a stable code (every /api path and every
// endpoint of the route table, such as /healthz) rather than with the branded HTML error page.
bool is_api_path(const std::string& path) noexcept;

// Registers every route of the table and every page on `server`, each handler called with
// `context`, which must outlive the server.
void register_routes(httplib::Server& server, ApiContext& context);

}  // namespace evidence
