#include "evidence/routes.hpp"

#include <array>
#include <string_view>

#include "evidence/feed.hpp"

namespace evidence {

namespace {

constexpr std::array kRoutes = {
    Route{"GET", "/api/search", get_search, "/api/search"},
    Route{"GET", "/api/summary", get_summary, "/api/summary"},
    Route{"GET", "/api/feed", get_feed, "/api/feed"},
    Route{"GET", R"(/api/studies/([^/]+))", get_study, "/api/studies/{id}"},
    Route{"GET", "/api/vocabulary", get_vocabulary, "/api/vocabulary"},
    Route{"GET", "/api/export", get_export, "/api/export"},
    Route{"GET", "/api/stats", get_stats, "/api/stats"},
    Route{"GET", "/api/openapi.json", get_openapi, "/api/openapi.json"},
    Route{"GET", "/healthz", get_healthz, "/healthz"},
    Route{"GET", "/readyz", get_readyz, "/readyz"},
    Route{"GET", "/metrics", get_metrics, "/metrics"},
    Route{"GET", "/api", get_api_index, nullptr},
    Route{"GET", R"(/api/.*)", get_unknown_endpoint, nullptr},
};

// The API is read-only and the pre-routing handler refuses other methods, so register_routes()
// knows GET alone; a route with another method must not compile.
constexpr bool only_get_routes() {
  for (const Route& route : kRoutes)
    if (std::string_view(route.method) != "GET") return false;
  return true;
}
static_assert(only_get_routes(), "register_routes() registers GET routes only");

constexpr std::array kPages = {
    Page{"/about", "about.html"},
};

}  // namespace

std::span<const Route> api_routes() noexcept { return kRoutes; }

std::span<const Page> web_pages() noexcept { return kPages; }

bool is_api_path(const std::string& path) noexcept {
  const std::string_view p(path);
  if (p == "/api" || p.starts_with("/api/")) return true;
  for (const Route& route : kRoutes)
    if (route.endpoint && p == route.endpoint) return true;
  return false;
}

void register_routes(httplib::Server& server, ApiContext& context) {
  for (const Route& route : kRoutes) {
    server.Get(route.pattern, [&context, handler = route.handler](const httplib::Request& req, httplib::Response& res) {
      handler(context, req, res);
    });
  }
  for (const Page& page : kPages) {
    server.Get(page.path, [&context, file = page.file](const httplib::Request&, httplib::Response& res) {
      send_page(context, res, file);
    });
  }
}

}  // namespace evidence
