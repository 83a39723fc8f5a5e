// ClinicalTrials.gov through API v2: /studies pages of the window (last update posted between
// since and until), followed by nextPageToken, each page into one file exactly as the API sent
// it, which is the {"studies": [...]} shape evidence-index reads. A resumed run goes on from the
// page token the state file kept; when the service no longer takes that token, the window is
// fetched again from its first page.
#include <nlohmann/json.hpp>

#include "evidence/errors.hpp"
#include "evidence/fetch.hpp"
#include "output_folder.hpp"

namespace evidence {

using namespace fetch_detail;
using nlohmann::json;

namespace {

struct Page {
  std::size_t studies = 0;
  std::string next_token;  // "" on the last page
  long long total = -1;    // totalCount, when asked for (countTotal=true)
};

// "" when the body is a JSON object with a "studies" array of objects; else what is wrong.
std::string check_page(const std::string& body, Page& out) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return "not valid JSON (" + std::to_string(body.size()) + " bytes, truncated or malformed)";
  if (!j.is_object() || !j.contains("studies") || !j["studies"].is_array())
    return "no \"studies\" array: not an API v2 /studies page";
  for (const auto& s : j["studies"])
    if (!s.is_object()) return "an element of \"studies\" is not an object";
  out.studies = j["studies"].size();
  out.next_token.clear();
  if (j.contains("nextPageToken")) {
    if (!j["nextPageToken"].is_string()) return "\"nextPageToken\" is not a string";
    out.next_token = j["nextPageToken"].get<std::string>();
  }
  out.total = j.contains("totalCount") && j["totalCount"].is_number_integer() ? j["totalCount"].get<long long>() : -1;
  return "";
}

std::string page_file(const Window& w, std::size_t page) {
  std::string n = std::to_string(page + 1);
  if (n.size() < 4) n.insert(0, 4 - n.size(), '0');
  return "ctgov-" + compact_date(w.since) + "-" + compact_date(w.until) + "-" + n + ".json";
}

}  // namespace

FetchReport fetch_ctgov(const CtgovOptions& options, const FetchLog& log_in) {
  const FetchLog log = log_in ? log_in : [](const std::string&) {};
  const FetchWindow& opt = options.window;
  if (opt.query.empty()) throw Error(ErrorCode::invalid_argument, "the ClinicalTrials.gov query is empty");
  if (options.page_size < 1 || options.page_size > 1000)
    throw Error(ErrorCode::invalid_argument, "the page size must be 1..1000 (the API's largest pageSize)");
  FetchReport rep;
  Window w = begin_run(opt, "ctgov", rep);
  if (w.up_to_date) {
    rep.up_to_date = true;
    rep.count = 0;
    return rep;
  }
  PoliteClient client(options.client, log);

  json& win = w.state["window"];
  std::size_t page = 0;
  std::string token;
  if (w.resumed && win.value("page_size", std::size_t{0}) == options.page_size) {
    page = win.at("pages_done").get<std::size_t>();
    token = win.at("next_page_token").get<std::string>();
    rep.count = win.value("count", -1LL);
    rep.resumed = true;
  }
  rep.parts_done_before = page;
  const QueryParams base{{"format", "json"},
                         {"query.term", opt.query},
                         {"filter.advanced", "AREA[LastUpdatePostDate]RANGE[" + w.since + "," + w.until + "]"},
                         {"pageSize", std::to_string(options.page_size)}};
  const auto request = [&](const std::string& page_token, Page& out) {
    QueryParams p = base;
    if (page_token.empty())
      p.emplace_back("countTotal", "true");
    else
      p.emplace_back("pageToken", page_token);
    return client.get("/studies", p, [&](const std::string& body) { return check_page(body, out); });
  };
  const auto save = [&](bool complete) {
    win = json{{"since", w.since},    {"until", w.until},         {"page_size", options.page_size},
               {"pages_done", page},  {"next_page_token", token}, {"count", rep.count},
               {"complete", complete}};
    if (complete) w.state["last_until"] = w.until;
    write_state(rep.state_file, w.state);
  };

  Page p;
  std::string body;
  try {
    body = request(token, p);
  } catch (const Error& e) {
    if (!rep.resumed || e.code() != ErrorCode::remote_bad_answer) throw;
    log("the service no longer takes the saved page token (" + std::string(e.what()) +
        "): fetching the window again from its first page");
    page = 0;
    token.clear();
    rep.resumed = false;
    rep.parts_done_before = 0;
    body = request(token, p);
  }
  if (p.total >= 0) rep.count = p.total;
  if (rep.count >= 0)
    rep.parts =
        std::max<std::size_t>(1, (static_cast<std::size_t>(rep.count) + options.page_size - 1) / options.page_size);

  if (opt.dry_run) {
    for (std::size_t i = page; i < rep.parts; ++i) rep.files.push_back(opt.out / page_file(w, i));
    rep.requests = client.requests();
    rep.retries = client.retries();
    return rep;
  }

  prepare_folder(opt.out, "ctgov");
  for (;;) {
    // An empty page holds no record for the indexer: no file.
    if (p.studies > 0) {
      const std::string name = page_file(w, page);
      write_atomically(opt.out, name, body);
      rep.files.push_back(opt.out / name);
      rep.records_written += p.studies;
      log("page " + std::to_string(page + 1) + (rep.parts ? "/" + std::to_string(rep.parts) : "") + ": " +
          std::to_string(p.studies) + " studies -> " + name);
    }
    ++page;
    if (p.next_token.empty()) break;
    if (p.next_token == token)
      throw Error(ErrorCode::remote_bad_answer,
                  "the service gave the same nextPageToken twice ('" + token + "'): its paging is broken");
    token = p.next_token;
    save(false);
    body = request(token, p);
  }
  token.clear();
  rep.parts = std::max(rep.parts, page);
  save(true);
  rep.requests = client.requests();
  rep.retries = client.retries();
  return rep;
}

}  // namespace evidence
