#pragma once
// The API's endpoints, one function per route of the table in routes.hpp, named verb_noun. A
// handler reads its typed request (params.hpp), asks core, and answers with JSON (views.hpp) or
// a download (exports.hpp). It reports errors by throwing evidence::Error, which the server
// answers (context.hpp: http_error): a bad parameter is 400, an unavailable index 503.
#include <httplib.h>

#include "evidence/context.hpp"

namespace evidence {

using Handler = void (*)(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/search: ranked hits, facets and the graded summary. The ETag is the index revision
// and the request: a repeated request gets 304. The rendered body is cached per revision and
// URL (X-Cache: hit or miss); "Cache-Control: no-cache" computes it afresh.
void get_search(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/summary: the graded summary and the number of matches only (no hits, facets or
// spelling suggestion are computed); ETag and cache as for /api/search.
void get_summary(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/studies/{id}: the full record. 404 not_found when the index has no such study.
void get_study(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/vocabulary: concepts completing a prefix, or every concept (of a kind) without one.
void get_vocabulary(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/export: the matching studies as RIS, BibTeX, CSV or JSON (at most `limit`, in the
// requested sort order), or the graded findings as a FHIR Bundle; sent as an attachment.
void get_export(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/stats: records by source and design, index revision, build time, vocabulary version.
void get_stats(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /healthz: the process answers. GET /readyz: the index can be read (503 otherwise).
void get_healthz(ApiContext& context, const httplib::Request& request, httplib::Response& response);
void get_readyz(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /metrics: Prometheus text, answered while the index is unavailable too.
void get_metrics(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api/openapi.json: the OpenAPI description; 404 not_found when none is installed.
void get_openapi(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// GET /api: the endpoints, as the route table lists them.
void get_api_index(ApiContext& context, const httplib::Request& request, httplib::Response& response);

// Any other GET /api/...: 404 not_found as JSON, rather than the page.
void get_unknown_endpoint(ApiContext& context, const httplib::Request& request, httplib::Response& response);

}  // namespace evidence
