#include "evidence/api.hpp"
#include "evidence/response_cache.hpp"

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

#include "evidence/errors.hpp"
#include "evidence/text.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Server

namespace {

struct ApiError {
  int status;
  std::string code, message;
};

std::atomic<std::uint64_t> next_server_serial{1};

// Latency buckets in seconds for /metrics.
constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

}  // namespace

struct ApiServer::Impl {
  ServerOptions opt;
  Vocabulary vocabulary;
  json openapi;
  httplib::Server svr;
  std::uint64_t serial = next_server_serial++;
  int port = 0;

  std::unique_ptr<ResponseCache> cache;
  std::atomic<std::uint64_t> requests{0}, errors_4xx{0}, errors_5xx{0};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency{};
  std::atomic<double> latency_sum{0};

  // One reader per worker thread (Xapian Database objects are not thread-safe).
  IndexReader& reader() {
    struct Slot {
      std::uint64_t serial = 0;
      std::unique_ptr<IndexReader> reader;
    };
    thread_local Slot slot;
    if (slot.serial != serial || !slot.reader) {
      slot.reader.reset();
      slot.reader = std::make_unique<IndexReader>(opt.db);
      slot.serial = serial;
    } else {
      try {
        slot.reader->refresh();
      } catch (const Error&) {
        slot.reader.reset();  // e.g. the index was removed: try afresh next time
        slot.reader = std::make_unique<IndexReader>(opt.db);
      }
    }
    return *slot.reader;
  }

  void routes();
};

namespace {

void send_json(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  // No charset parameter: JSON is UTF-8 by definition (RFC 8259), and cpp-httplib 0.11.4 gzips
  // only the exact type "application/json".
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, {{"error", {{"code", code}, {"message", message}}}}, status);
}

json study_brief(const Study& s) {
  json ids = json::object();
  ids["pmid"] = s.identifiers.pmid.empty() ? json() : json(s.identifiers.pmid);
  ids["doi"] = s.identifiers.doi.empty() ? json() : json(s.identifiers.doi);
  ids["nct"] = s.identifiers.nct.empty() ? json() : json(s.identifiers.nct);
  ids["pmcid"] = s.identifiers.pmcid.empty() ? json() : json(s.identifiers.pmcid);
  json q = {{"score", s.annotation.quality_score >= 0 ? json(s.annotation.quality_score) : json()},
            {"scale", s.quality.pedro ? "PEDro 0-10" : "0-10"},
            {"basis", s.annotation.quality_basis},
            {"estimated", s.annotation.quality_estimated}};
  json ints = json::array(), conds = s.population.conditions, outs = json::array();
  for (const auto& a : s.interventions)
    for (const auto& c : a.concepts) ints.push_back(c);
  std::set<std::string> seen;
  for (const auto& o : s.outcomes)
    if (seen.insert(o.domain).second) outs.push_back(o.domain);
  return {{"id", s.id},          {"identifiers", ids},
          {"title", s.title},    {"year", s.year > 0 ? json(s.year) : json()},
          {"journal", s.journal}, {"authors", s.authors},
          {"design", s.design},  {"meta_analysis", s.meta_analysis},
          {"evidence_level", s.annotation.evidence_level}, {"quality", q},
          {"interventions", ints}, {"conditions", conds},
          {"outcomes", outs},    {"duration", s.population.duration},
          {"participants", s.participants() > 0 ? json(s.participants()) : json()},
          {"retracted", s.retracted}, {"sources", s.annotation.sources},
          {"summary", {{"clinician", s.summary.clinician}, {"plain", s.summary.plain}}}};
}

json concept_json(const Concept& c) {
  return {{"id", c.id}, {"kind", c.kind}, {"preferred", c.preferred}, {"plain", c.plain}, {"abbreviations", c.abbreviations}};
}

}  // namespace

void ApiServer::Impl::routes() {
  auto revision_etag = [this](const httplib::Request& req, httplib::Response& res, const std::string& revision) {
    // The ETag ties a response to the index revision and the request, so a repeated request
    // after no re-index gets 304.
    const std::string tag = "\"" + revision + "-" + std::to_string(std::hash<std::string>{}(req.path + "?" + req.target)) + "\"";
    res.set_header("ETag", tag);
    res.set_header("Cache-Control", "no-cache");
    if (req.get_header_value("If-None-Match") == tag) {
      res.status = 304;
      return true;
    }
    return false;
  };

  // A search's response depends only on the request and the index revision, and the same
  // questions come again and again (the page's examples, reloads, shared links): the rendered
  // body is kept, keyed by both. "Cache-Control: no-cache" from the client recomputes it.
  auto from_cache = [this](const httplib::Request& req, httplib::Response& res, const std::string& revision) {
    const std::string key = revision + "\n" + req.target;
    if (req.get_header_value("Cache-Control").find("no-cache") != std::string::npos) return key;
    if (const auto body = cache->get(key)) {
      res.set_content(*body, "application/json");
      res.set_header("X-Cache", "hit");
      return std::string();
    }
    return key;
  };
  auto send_cached = [this](httplib::Response& res, const std::string& key, const json& j) {
    std::string body = j.dump(-1, ' ', false, json::error_handler_t::replace);
    res.set_content(body, "application/json");
    res.set_header("X-Cache", "miss");
    cache->put(key, std::move(body));
  };

  svr.Get("/api/search", [this, revision_etag, from_cache, send_cached](const httplib::Request& req, httplib::Response& res) {
    const ApiSearchRequest request = parse_search_request(req.params, vocabulary);
    const SearchRequest& r = request.search;
    IndexReader& rd = reader();
    const std::string revision = rd.revision();
    if (revision_etag(req, res, revision)) return;
    const std::string key = from_cache(req, res, revision);
    if (key.empty()) return;
    const SearchResponse sr = search(rd, vocabulary, r);
    json hits = json::array();
    for (const auto& h : sr.hits) {
      json b = study_brief(h.study);
      b["rank"] = h.rank;
      b["score"] = h.score;
      b["snippet"] = h.snippet;
      b["why"] = h.why;
      hits.push_back(std::move(b));
    }
    json facets = json::array();
    for (const auto& [field, counts] : sr.facets) {
      json cs = json::array();
      for (const auto& c : counts) cs.push_back({{"value", c.value}, {"label", c.label}, {"count", c.count}});
      facets.push_back({{"field", field}, {"counts", cs}});
    }
    json q = {{"text", r.q}, {"parsed", sr.question.to_json()}, {"did_you_mean", sr.did_you_mean.empty() ? json() : json(sr.did_you_mean)}};
    send_cached(res, key, {{"query", q},
                    {"found", sr.found},
                    {"found_exact", sr.found_exact},
                    {"facet_counts_exact", sr.facets_exact},
                    {"page", sr.page},
                    {"per_page", sr.per_page},
                    {"search_time_ms", sr.search_time_ms},
                    {"hits", hits},
                    {"facet_counts", facets},
                    {"summary", sr.summary ? sr.summary->to_json() : json()},
                    {"audience", audience_name(request.audience)},
                    {"index_revision", revision}});
  });

  svr.Get("/api/summary", [this, revision_etag, from_cache, send_cached](const httplib::Request& req, httplib::Response& res) {
    SearchRequest r = parse_search_request(req.params, vocabulary).search;
    r.per_page = 1;
    r.page = 1;
    r.with_hits = false;
    IndexReader& rd = reader();
    const std::string revision = rd.revision();
    if (revision_etag(req, res, revision)) return;
    const std::string key = from_cache(req, res, revision);
    if (key.empty()) return;
    const SearchResponse sr = search(rd, vocabulary, r);
    send_cached(res, key, {{"query", {{"text", r.q}, {"parsed", sr.question.to_json()}}}, {"found", sr.found}, {"summary", sr.summary->to_json()},
                    {"search_time_ms", sr.search_time_ms}});
  });

  svr.Get(R"(/api/studies/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = parse_study_id(req.matches[1]);
    IndexReader& rd = reader();
    auto s = rd.get(id);
    if (!s) throw ApiError{404, "not_found", "no study with id '" + id + "'"};
    json j = study_to_json(*s, true);
    j["brief"] = study_brief(*s);
    json links = json::object();
    if (!s->identifiers.pmid.empty()) links["pubmed"] = "https://pubmed.ncbi.nlm.nih.gov/" + s->identifiers.pmid + "/";
    if (!s->identifiers.doi.empty()) links["doi"] = "https://doi.org/" + s->identifiers.doi;
    if (!s->identifiers.nct.empty()) links["clinicaltrials_gov"] = "https://clinicaltrials.gov/study/" + s->identifiers.nct;
    if (!s->identifiers.pmcid.empty()) links["pmc"] = "https://pmc.ncbi.nlm.nih.gov/articles/" + s->identifiers.pmcid + "/";
    j["links"] = links;
    json labels = json::object();
    auto label = [&](const std::string& id2) {
      if (const Concept* c = vocabulary.find(id2)) labels[id2] = {{"preferred", c->preferred}, {"plain", c->plain}};
    };
    for (const auto& a : s->interventions) for (const auto& c : a.concepts) label(c);
    for (const auto& a : s->comparators) for (const auto& c : a.concepts) label(c);
    for (const auto& c : s->population.conditions) label(c);
    for (const auto& o : s->outcomes) {
      label(o.domain);
      if (!o.instrument.empty()) label(o.instrument);
    }
    j["concept_labels"] = labels;
    send_json(res, j);
  });

  svr.Get("/api/vocabulary", [this](const httplib::Request& req, httplib::Response& res) {
    const VocabularyRequest vr = parse_vocabulary_request(req.params);
    const std::string& prefix = vr.prefix;
    const std::size_t limit = vr.limit;
    const std::string& kind = vr.kind;
    json out = json::array();
    if (prefix.empty()) {
      for (const auto& c : vocabulary.concepts())
        if (kind.empty() || c.kind == kind) out.push_back(concept_json(c));
    } else {
      for (const Concept* c : vocabulary.complete(prefix, limit * 3)) {
        if (!kind.empty() && c->kind != kind) continue;
        if (out.size() >= limit) break;
        out.push_back(concept_json(*c));
      }
    }
    send_json(res, {{"prefix", prefix}, {"concepts", out}, {"version", vocabulary.version()}});
  });

  svr.Get("/api/export", [this](const httplib::Request& req, httplib::Response& res) {
    const ApiSearchRequest request = parse_export_request(req.params, vocabulary);
    SearchRequest r = request.search;
    IndexReader& rd = reader();
    if (request.format == ExportFormat::fhir) {
      r.per_page = 1;
      const SearchResponse sr = search(rd, vocabulary, r);
      res.set_header("Content-Disposition", "attachment; filename=\"backpain-evidence-findings.fhir.json\"");
      res.set_content(to_fhir_evidence(*sr.summary, r.q).dump(2), "application/fhir+json; charset=utf-8");
      return;
    }
    const auto studies = search_all(rd, vocabulary, r, request.limit);
    if (request.format == ExportFormat::ris) {
      res.set_header("Content-Disposition", "attachment; filename=\"backpain-evidence.ris\"");
      res.set_content(to_ris(studies), "application/x-research-info-systems; charset=utf-8");
    } else if (request.format == ExportFormat::bibtex) {
      res.set_header("Content-Disposition", "attachment; filename=\"backpain-evidence.bib\"");
      res.set_content(to_bibtex(studies), "application/x-bibtex; charset=utf-8");
    } else if (request.format == ExportFormat::csv) {
      res.set_header("Content-Disposition", "attachment; filename=\"backpain-evidence.csv\"");
      res.set_content(to_csv(studies), "text/csv; charset=utf-8");
    } else {
      json arr = json::array();
      for (const auto& s : studies) arr.push_back(study_to_json(s, true));
      res.set_header("Content-Disposition", "attachment; filename=\"backpain-evidence.json\"");
      send_json(res, {{"query", r.q}, {"count", studies.size()}, {"studies", arr}});
    }
  });

  svr.Get("/api/stats", [this](const httplib::Request&, httplib::Response& res) {
    IndexReader& rd = reader();
    json by_source = json::object(), by_design = json::object();
    for (const auto& [v, n] : rd.term_counts("XSRC")) by_source[v] = n;
    for (const auto& [v, n] : rd.term_counts("XD")) by_design[v] = n;
    send_json(res, {{"records", rd.doc_count()}, {"by_source", by_source}, {"by_design", by_design}, {"index_revision", rd.revision()},
                    {"built_at", rd.metadata("evidence:built_at")}, {"vocabulary_version", vocabulary.version()},
                    {"concepts", vocabulary.concepts().size()}});
  });

  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, {{"status", "ok"}}); });
  svr.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    IndexReader& rd = reader();
    send_json(res, {{"status", "ready"}, {"records", rd.doc_count()}, {"index_revision", rd.revision()}});
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::ostringstream m;
    m << "# HELP evidence_http_requests_total HTTP requests served.\n# TYPE evidence_http_requests_total counter\n";
    m << "evidence_http_requests_total " << requests.load() << "\n";
    m << "# HELP evidence_http_errors_total HTTP error responses by class.\n# TYPE evidence_http_errors_total counter\n";
    m << "evidence_http_errors_total{class=\"4xx\"} " << errors_4xx.load() << "\n";
    m << "evidence_http_errors_total{class=\"5xx\"} " << errors_5xx.load() << "\n";
    m << "# HELP evidence_http_request_duration_seconds Request latency.\n# TYPE evidence_http_request_duration_seconds histogram\n";
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cum += latency[i].load();
      m << "evidence_http_request_duration_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cum << "\n";
    }
    cum += latency[kBuckets.size()].load();
    m << "evidence_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cum << "\n";
    m << "evidence_http_request_duration_seconds_sum " << latency_sum.load() << "\n";
    m << "evidence_http_request_duration_seconds_count " << cum << "\n";
    std::string rev = "unavailable";
    std::uint64_t docs = 0;
    try {
      IndexReader& rd = reader();
      rev = rd.revision();
      docs = rd.doc_count();
    } catch (const Error&) {
    }
    const ResponseCache::Stats cs = cache->stats();
    m << "# HELP evidence_response_cache_requests_total Search and summary responses served from the cache (hit) or computed (miss).\n"
         "# TYPE evidence_response_cache_requests_total counter\n";
    m << "evidence_response_cache_requests_total{result=\"hit\"} " << cs.hits << "\n";
    m << "evidence_response_cache_requests_total{result=\"miss\"} " << cs.misses << "\n";
    m << "# HELP evidence_response_cache_bytes Bytes held by the response cache.\n# TYPE evidence_response_cache_bytes gauge\n";
    m << "evidence_response_cache_bytes " << cs.bytes << "\n";
    m << "# HELP evidence_index_info Index revision currently served.\n# TYPE evidence_index_info gauge\n";
    m << "evidence_index_info{revision=\"" << rev << "\"} 1\n";
    m << "# HELP evidence_index_records Records in the index.\n# TYPE evidence_index_records gauge\nevidence_index_records " << docs << "\n";
    res.set_content(m.str(), "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/api/openapi.json", [this](const httplib::Request&, httplib::Response& res) {
    if (openapi.is_null()) throw ApiError{404, "not_found", "no OpenAPI description is installed"};
    send_json(res, openapi);
  });
  svr.Get("/api", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"endpoints", {"/api/search", "/api/summary", "/api/studies/{id}", "/api/vocabulary", "/api/export", "/api/stats",
                                   "/api/openapi.json", "/healthz", "/readyz", "/metrics"}}});
  });
  // Anything else under /api is a JSON 404, not the page.
  svr.Get(R"(/api/.*)", [](const httplib::Request&, httplib::Response&) { throw ApiError{404, "not_found", "no such endpoint"}; });
}

ApiServer::ApiServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opt = std::move(options);
  const fs::path src = EVIDENCE_SOURCE_DIR;
  if (m.opt.vocabulary.empty()) m.opt.vocabulary = src / "schema/vocabulary.json";
  if (m.opt.openapi.empty()) m.opt.openapi = src / "docs/openapi.json";
  m.vocabulary = Vocabulary::load(m.opt.vocabulary);
  m.cache = std::make_unique<ResponseCache>(m.opt.cache_mb * 1024 * 1024);
  if (std::ifstream in(m.opt.openapi); in) {
    try {
      m.openapi = json::parse(in);
    } catch (const json::exception& e) {
      throw Error(ErrorCode::invalid_argument, m.opt.openapi.string() + ": not valid JSON: " + e.what());
    }
  }
  httplib::Server& svr = m.svr;
  // cpp-httplib holds a worker for the life of a keep-alive connection, so the pool must be as
  // large as the number of clients that keep connections open (64 in the load benchmark);
  // with 8 workers, 56 of 64 connections queued and p99 rose above a second.
  const unsigned threads = m.opt.threads ? m.opt.threads : std::max(64u, 8 * std::thread::hardware_concurrency());
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Keep-alive connections serve many requests; TCP_NODELAY avoids the ~40 ms Nagle stall.
  svr.set_keep_alive_max_count(1000);
  svr.set_tcp_nodelay(true);
  svr.set_read_timeout(m.opt.read_timeout_seconds, 0);
  svr.set_write_timeout(10, 0);
  svr.set_payload_max_length(64 * 1024);  // the API is read-only: GET requests carry no body
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"Referrer-Policy", "no-referrer"},
                           {"X-Frame-Options", "DENY"},
                           {"Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
                           {"Access-Control-Allow-Origin", "*"}});
  if (!m.opt.web.empty() && fs::is_directory(m.opt.web)) svr.set_mount_point("/", m.opt.web.string());
  svr.set_file_extension_and_mimetype_mapping("js", "text/javascript; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("css", "text/css; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("html", "text/html; charset=utf-8");
  svr.set_file_extension_and_mimetype_mapping("svg", "image/svg+xml");

  struct Timing {
    std::chrono::steady_clock::time_point start;
  };
  static thread_local Timing timing;
  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    timing.start = std::chrono::steady_clock::now();
    // Read-only API: only GET, HEAD and OPTIONS are served.
    if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
      send_error(res, 405, "method_not_allowed", "the API is read-only; use GET");
      res.set_header("Allow", "GET, HEAD, OPTIONS");
      return httplib::Server::HandlerResponse::Handled;
    }
    // cpp-httplib does not read a GET's body: refuse a large one, and close the connection so
    // unread body bytes can never be parsed as a next request.
    if (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") {
      const std::string len = req.get_header_value("Content-Length");
      const bool large = len.size() > 5 || len.find_first_not_of("0123456789") != std::string::npos || std::stoul(len) > 64 * 1024;
      if (large) send_error(res, 413, "payload_too_large", "request body too large (the API takes no bodies)");
      else send_error(res, 400, "bad_request", "GET requests carry no body");
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      res.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", "If-None-Match, Content-Type");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Malformed percent-encoding in the query string is refused before it reaches a handler.
    const auto q = req.target.find('?');
    if (q != std::string::npos) {
      std::string decoded;
      if (!percent_decode(req.target.substr(q + 1), decoded)) {
        send_error(res, 400, "bad_encoding", "malformed percent-encoding in the query string");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // The one translation point from exceptions to HTTP: stable codes, no internals.
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_error(res, e.status, e.code, e.message);
    } catch (const Error& e) {
      switch (e.code()) {
        case ErrorCode::invalid_argument: send_error(res, 400, "bad_parameter", e.what()); break;
        case ErrorCode::query_too_long: send_error(res, 400, "query_too_long", e.what()); break;
        case ErrorCode::query_too_complex: send_error(res, 400, "query_too_complex", e.what()); break;
        case ErrorCode::not_found: send_error(res, 404, "not_found", e.what()); break;
        case ErrorCode::index_unavailable:
        case ErrorCode::index_locked:
          send_error(res, 503, "index_unavailable", "the index is not available right now; try again shortly");
          res.set_header("Retry-After", "5");
          break;
        case ErrorCode::index_corrupt:
          send_error(res, 503, "index_unavailable", "the index cannot be read; the maintainers have to re-index");
          break;
        default:
          std::fprintf(stderr, "internal error: %s\n", e.what());
          send_error(res, 500, "internal", "internal error");
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "internal error: %s\n", e.what());
      send_error(res, 500, "internal", "internal error");
    } catch (...) {
      send_error(res, 500, "internal", "internal error");
    }
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: send_error(res, 404, "not_found", "not found"); break;
      case 413: send_error(res, 413, "payload_too_large", "request body too large"); break;
      case 414: send_error(res, 414, "uri_too_long", "request URI too long"); break;
      case 431: send_error(res, 431, "headers_too_large", "request headers too large"); break;
      case 400: send_error(res, 400, "bad_request", "malformed request"); break;
      default: send_error(res, res.status, "error", "request failed");
    }
  });
  Impl* self = &m;
  svr.set_logger([self](const httplib::Request& req, const httplib::Response& res) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - timing.start).count();
    ++self->requests;
    if (res.status >= 500) ++self->errors_5xx;
    else if (res.status >= 400) ++self->errors_4xx;
    std::size_t b = 0;
    while (b < kBuckets.size() && secs > kBuckets[b]) ++b;
    ++self->latency[b];
    double cur = self->latency_sum.load();
    while (!self->latency_sum.compare_exchange_weak(cur, cur + secs)) {
    }
    if (self->opt.log_requests)
      std::fprintf(stderr, "%s %s %d %.1fms\n", req.method.c_str(), req.path.c_str(), res.status, secs * 1000);
  });
  m.routes();
}

ApiServer::~ApiServer() { stop(); }

int ApiServer::bind() {
  Impl& m = *impl_;
  if (m.opt.port == 0) {
    m.port = m.svr.bind_to_any_port(m.opt.host);
  } else {
    m.port = m.svr.bind_to_port(m.opt.host, m.opt.port) ? m.opt.port : -1;
  }
  if (m.port <= 0) throw Error(ErrorCode::io_error, "cannot listen on " + m.opt.host + ":" + std::to_string(m.opt.port));
  return m.port;
}

void ApiServer::run() { impl_->svr.listen_after_bind(); }

void ApiServer::stop() {
  if (impl_ && impl_->svr.is_running()) impl_->svr.stop();
}

}  // namespace evidence
