#include "evidence/handlers.hpp"

#include <cstdio>
#include <functional>
#include <optional>
#include <vector>

#include "evidence/appraisal.hpp"
#include "evidence/exports.hpp"
#include "evidence/fields.hpp"
#include "evidence/params.hpp"
#include "evidence/routes.hpp"
#include "evidence/search.hpp"
#include "evidence/views.hpp"

namespace evidence {

using nlohmann::json;

namespace {

// A search's response depends only on the request and the index revision, and the same
// questions come again and again (the page's examples, reloads, shared links). Answers from what
// is known when it can: 304 when the client holds this revision's ETag, or the rendered body
// when the cache holds it ("Cache-Control: no-cache" from the client skips the cache), and then
// returns nothing. Otherwise returns the key to cache the computed body under.
std::optional<std::string> answer_if_known(ApiContext& ctx, const httplib::Request& req, httplib::Response& res,
                                           const std::string& revision) {
  const std::string tag =
      "\"" + revision + "-" + std::to_string(std::hash<std::string>{}(req.path + "?" + req.target)) + "\"";
  res.set_header("ETag", tag);
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == tag) {
    res.status = 304;
    return std::nullopt;
  }
  std::string key = revision + "\n" + req.target;
  if (req.get_header_value("Cache-Control").find("no-cache") != std::string::npos) return key;
  if (const auto body = ctx.cache.get(key)) {
    res.set_content(*body, "application/json");
    res.set_header("X-Cache", "hit");
    return std::nullopt;
  }
  return key;
}

void send_cached(ApiContext& ctx, httplib::Response& res, const std::string& key, const json& body) {
  std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  res.set_content(text, "application/json");
  res.set_header("X-Cache", "miss");
  ctx.cache.put(key, std::move(text));
}

void attach(httplib::Response& res, const char* filename) {
  res.set_header("Content-Disposition", std::string("attachment; filename=\"") + filename + "\"");
}

// The graded summary of the request's question, for the FHIR export.
EvidenceSummary graded_summary(ApiContext& ctx, IndexReader& reader, SearchRequest request) {
  request.per_page = 1;  // the findings come from the summary; one hit is the least a search computes
  return std::move(*search(reader, ctx.vocabulary, request).summary);
}

}  // namespace

void get_search(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const ApiSearchRequest request = parse_search_request(req.params, ctx.vocabulary);
  IndexReader& reader = ctx.reader();
  const std::string revision = reader.revision();
  const auto key = answer_if_known(ctx, req, res, revision);
  if (!key) return;
  const SearchResponse found = search(reader, ctx.vocabulary, request.search);
  send_cached(ctx, res, *key, search_json(request, found, revision));
}

void get_summary(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  ApiSearchRequest request = parse_search_request(req.params, ctx.vocabulary);
  request.search.per_page = 1;
  request.search.page = 1;
  request.search.with_hits = false;
  IndexReader& reader = ctx.reader();
  const std::string revision = reader.revision();
  const auto key = answer_if_known(ctx, req, res, revision);
  if (!key) return;
  const SearchResponse found = search(reader, ctx.vocabulary, request.search);
  send_cached(ctx, res, *key, summary_json(request.search, found));
}

void get_study(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = parse_study_id(req.matches[1]);
  const auto study = ctx.reader().get(id);
  if (!study) throw Error(ErrorCode::not_found, "no study with id '" + id + "'");
  send_json(res, study_page_json(*study, ctx.vocabulary));
}

void get_vocabulary(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const VocabularyRequest request = parse_vocabulary_request(req.params);
  const auto kind_matches = [&](const Concept& c) { return request.kind.empty() || c.kind == request.kind; };
  json concepts = json::array();
  if (request.prefix.empty()) {
    for (const auto& c : ctx.vocabulary.concepts())
      if (kind_matches(c)) concepts.push_back(concept_json(c));
  } else {
    // Completions of other kinds are dropped after the vocabulary's cut, so it is asked for more.
    for (const Concept* c : ctx.vocabulary.complete(request.prefix, request.limit * 3)) {
      if (!kind_matches(*c)) continue;
      if (concepts.size() >= request.limit) break;
      concepts.push_back(concept_json(*c));
    }
  }
  json body{{"prefix", request.prefix}, {"concepts", concepts}, {"version", ctx.vocabulary.version()}};
  // The whole vocabulary is what the page loads once; its label tables come with it so that the
  // page defines no words of its own for the API's ids. Completions stay small.
  if (request.prefix.empty()) body["labels"] = label_tables();
  send_json(res, body);
}

void get_export(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const ApiSearchRequest request = parse_export_request(req.params, ctx.vocabulary);
  IndexReader& reader = ctx.reader();
  const auto studies = [&] { return search_all(reader, ctx.vocabulary, request.search, request.limit); };
  // Each body is made before the attachment header is set: an error on the way must not be
  // answered as a download.
  switch (request.format) {
    case ExportFormat::ris: {
      const std::string body = to_ris(studies());
      attach(res, "backpain-evidence.ris");
      res.set_content(body, "application/x-research-info-systems; charset=utf-8");
      return;
    }
    case ExportFormat::bibtex: {
      const std::string body = to_bibtex(studies());
      attach(res, "backpain-evidence.bib");
      res.set_content(body, "application/x-bibtex; charset=utf-8");
      return;
    }
    case ExportFormat::csv: {
      const std::string body = to_csv(studies());
      attach(res, "backpain-evidence.csv");
      res.set_content(body, "text/csv; charset=utf-8");
      return;
    }
    case ExportFormat::json: {
      const json body = export_json(request.search.q, studies());
      attach(res, "backpain-evidence.json");
      send_json(res, body);
      return;
    }
    case ExportFormat::fhir: {
      const std::string body = to_fhir_evidence(graded_summary(ctx, reader, request.search), request.search.q).dump(2);
      attach(res, "backpain-evidence-findings.fhir.json");
      res.set_content(body, "application/fhir+json; charset=utf-8");
      return;
    }
  }
}

void get_stats(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  IndexReader& reader = ctx.reader();
  json by_source = json::object(), by_design = json::object();
  for (const auto& [value, n] : reader.term_counts(std::string(fields::source))) by_source[value] = n;
  for (const auto& [value, n] : reader.term_counts(std::string(fields::design))) by_design[value] = n;
  send_json(res, {{"records", reader.doc_count()},
                  {"by_source", by_source},
                  {"by_design", by_design},
                  {"index_revision", reader.revision()},
                  {"built_at", reader.metadata(std::string(fields::meta_built_at))},
                  {"vocabulary_version", ctx.vocabulary.version()},
                  {"concepts", ctx.vocabulary.concepts().size()}});
}

void get_healthz(ApiContext&, const httplib::Request&, httplib::Response& res) { send_json(res, {{"status", "ok"}}); }

namespace {

// Why the index cannot answer, in words for the person behind a load balancer.
const char* unready_reason(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::index_corrupt: return "the index is damaged and cannot be read; it has to be re-indexed";
    case ErrorCode::index_locked: return "the index is locked; try again shortly";
    case ErrorCode::index_unavailable:
      return "the index cannot be opened or read (missing, being replaced, or a shard is down)";
    default: return "the index could not answer a test search";
  }
}

}  // namespace

void get_readyz(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  // Ready means the index answers a search, not only that it opens: a remote shard that is down
  // or a damaged file often opens and fails at the first read, and an empty index answers nothing.
  const char* reason = nullptr;
  std::uint64_t records = 0;
  std::string revision;
  try {
    IndexReader& reader = ctx.reader();
    revision = reader.revision();
    records = reader.doc_count();
    if (records == 0) {
      reason = "the index holds no records";
    } else {
      SearchRequest probe;
      probe.per_page = 1;
      probe.with_summary = false;
      probe.facet_sample = 1;
      probe.include_retracted = true;
      if (search(reader, ctx.vocabulary, probe).hits.empty()) reason = "the index found no record for a test search";
    }
  } catch (const Error& e) {
    reason = unready_reason(e.code());
    std::fprintf(stderr, "readyz: not ready: %s\n", e.what());
  } catch (const std::exception& e) {
    reason = unready_reason(ErrorCode::internal);
    std::fprintf(stderr, "readyz: not ready: %s\n", e.what());
  }
  if (reason) {
    send_json(res, {{"status", "not_ready"}, {"reason", reason}}, 503);
    res.set_header("Retry-After", "5");
    return;
  }
  send_json(res, {{"status", "ready"}, {"records", records}, {"index_revision", revision}});
}

void get_metrics(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  std::string revision = "unavailable";
  std::uint64_t records = 0;
  try {
    IndexReader& reader = ctx.reader();
    revision = reader.revision();
    records = reader.doc_count();
  } catch (const Error&) {
    // An unavailable index is what the metrics are for: they are answered all the same.
  }
  res.set_content(ctx.metrics.render(ctx.cache.stats(), revision, records), "text/plain; version=0.0.4; charset=utf-8");
}

void get_openapi(ApiContext& ctx, const httplib::Request&, httplib::Response& res) {
  if (ctx.openapi.is_null()) throw Error(ErrorCode::not_found, "no OpenAPI description is installed");
  send_json(res, ctx.openapi);
}

void get_api_index(ApiContext&, const httplib::Request&, httplib::Response& res) {
  json endpoints = json::array();
  for (const Route& route : api_routes())
    if (route.endpoint) endpoints.push_back(route.endpoint);
  send_json(res, {{"endpoints", endpoints}});
}

void get_unknown_endpoint(ApiContext&, const httplib::Request&, httplib::Response&) {
  throw Error(ErrorCode::not_found, "no such endpoint");
}

}  // namespace evidence
