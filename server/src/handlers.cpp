#include "evidence/handlers.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
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

// Writes the studies as the answer is sent (chunked), a batch at a time: an export holds the
// studies' compact stored forms and one batch of text instead of every decoded study, its JSON
// and the whole text at once (about 150 MB for 5,000 records, and 32 of them at once left the
// allocator's arenas fragmented: issue 20). The matching has already run, so an error before the
// first byte is still answered as an error; a study that cannot be decoded later cuts the
// answer short (no last chunk), which a client sees as an incomplete download.
void stream_studies(httplib::Response& res, const char* filename, const char* content_type, std::string head,
                    MatchedStudies matched, std::string (*render)(const Study&), const char* separator,
                    std::string tail, std::shared_ptr<void> slot) {
  struct State {
    std::string head, tail;
    MatchedStudies matched;
    std::shared_ptr<void> slot;  // the export slot, given back when the answer is gone
    std::size_t next = 0;
  };
  auto state = std::make_shared<State>(State{std::move(head), std::move(tail), std::move(matched), std::move(slot)});
  attach(res, filename);
  res.set_chunked_content_provider(content_type, [state, render, separator](std::size_t, httplib::DataSink& sink) {
    constexpr std::size_t batch = 64;
    try {
      std::string chunk = std::move(state->head);
      state->head.clear();
      const std::size_t end = std::min(state->matched.size(), state->next + batch);
      for (; state->next < end; ++state->next) {
        if (state->next > 0) chunk += separator;
        chunk += render(state->matched.at(state->next));
      }
      const bool last = state->next == state->matched.size();
      if (last) chunk += state->tail;
      if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
      if (last) {
        // Given back before the last chunk goes out, so that a client holding the whole answer
        // finds the slot free: released with the response, after it, a client's next export
        // could be refused as busy by its own finished one.
        state->slot.reset();
        sink.done();
      }
      return true;
    } catch (...) {
      // Nothing can be answered any more: the status and part of the body are sent.
      return false;
    }
  });
}

void get_export(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const ApiSearchRequest request = parse_export_request(req.params, ctx.vocabulary);
  std::shared_ptr<void> slot;
  if (request.format != ExportFormat::fhir) {
    slot = ctx.export_slots.try_take();
    if (!slot)
      throw Error(ErrorCode::busy, std::to_string(ctx.export_slots.limit()) +
                                       " exports are being written at once, the most this server makes at a time; "
                                       "try again in a few seconds");
  }
  IndexReader& reader = ctx.reader();
  const auto matched = [&] { return match_all(reader, ctx.vocabulary, request.search, request.limit); };
  switch (request.format) {
    case ExportFormat::ris:
      stream_studies(res, "backpain-evidence.ris", "application/x-research-info-systems; charset=utf-8", "", matched(),
                     ris_record, "", "", slot);
      return;
    case ExportFormat::bibtex:
      stream_studies(res, "backpain-evidence.bib", "application/x-bibtex; charset=utf-8", "", matched(), bibtex_record,
                     "", "", slot);
      return;
    case ExportFormat::csv:
      stream_studies(res, "backpain-evidence.csv", "text/csv; charset=utf-8", csv_header(), matched(), csv_row, "", "",
                     slot);
      return;
    case ExportFormat::json: {
      MatchedStudies m = matched();
      std::string head = export_json_head(request.search.q, m.size());
      // No charset parameter, as send_json: cpp-httplib gzips only the exact type.
      stream_studies(res, "backpain-evidence.json", "application/json", std::move(head), std::move(m),
                     export_json_study, ",", export_json_tail, slot);
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
