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

// One run over one window: where the paging stands (the page number and the token of the next
// page) and how it is saved, so that a killed run resumes from the last page written.
class CtgovRun {
 public:
  CtgovRun(const CtgovOptions& options, Window& w, FetchReport& rep, const FetchLog& log)
      : options_(options), w_(w), rep_(rep), log_(log), client_(options.client, log), win_(w.state["window"]) {
    if (w.resumed && win_.value("page_size", std::size_t{0}) == options.page_size) {
      page_ = win_.at("pages_done").get<std::size_t>();
      token_ = win_.at("next_page_token").get<std::string>();
      rep.count = win_.value("count", -1LL);
      rep.resumed = true;
    }
    rep.parts_done_before = page_;
  }

  // The first page of this run: the saved token's page, or when the service no longer takes that
  // token, the window's first page.
  void first_page() {
    try {
      body_ = request(token_);
    } catch (const Error& e) {
      if (!rep_.resumed || e.code() != ErrorCode::remote_bad_answer) throw;
      log_("the service no longer takes the saved page token (" + std::string(e.what()) +
           "): fetching the window again from its first page");
      page_ = 0;
      token_.clear();
      rep_.resumed = false;
      rep_.parts_done_before = 0;
      body_ = request(token_);
    }
    if (last_.total >= 0) rep_.count = last_.total;
    if (rep_.count >= 0)
      rep_.parts = std::max<std::size_t>(
          1, (static_cast<std::size_t>(rep_.count) + options_.page_size - 1) / options_.page_size);
  }

  void plan() {
    for (std::size_t i = page_; i < rep_.parts; ++i) rep_.files.push_back(options_.window.out / page_file(w_, i));
    account();
  }

  // Writes the page in hand and every following one, saving the paging after each.
  void write_pages() {
    const auto& out = options_.window.out;
    prepare_folder(out, "ctgov");
    for (;;) {
      // An empty page holds no record for the indexer: no file.
      if (last_.studies > 0) {
        const std::string name = page_file(w_, page_);
        write_atomically(out, name, body_);
        rep_.files.push_back(out / name);
        rep_.records_written += last_.studies;
        log_("page " + std::to_string(page_ + 1) + (rep_.parts ? "/" + std::to_string(rep_.parts) : "") + ": " +
             std::to_string(last_.studies) + " studies -> " + name);
      }
      ++page_;
      if (last_.next_token.empty()) break;
      if (last_.next_token == token_)
        throw Error(ErrorCode::remote_bad_answer,
                    "the service gave the same nextPageToken twice ('" + token_ + "'): its paging is broken");
      token_ = last_.next_token;
      save(false);
      body_ = request(token_);
    }
    token_.clear();
    rep_.parts = std::max(rep_.parts, page_);
    save(true);
    account();
  }

 private:
  std::string request(const std::string& page_token) {
    QueryParams p{{"format", "json"},
                  {"query.term", options_.window.query},
                  {"filter.advanced", "AREA[LastUpdatePostDate]RANGE[" + w_.since + "," + w_.until + "]"},
                  {"pageSize", std::to_string(options_.page_size)}};
    if (page_token.empty())
      p.emplace_back("countTotal", "true");
    else
      p.emplace_back("pageToken", page_token);
    return client_.get("/studies", p, [&](const std::string& body) { return check_page(body, last_); });
  }

  void save(bool complete) {
    win_ = json{{"since", w_.since},   {"until", w_.until},         {"page_size", options_.page_size},
                {"pages_done", page_}, {"next_page_token", token_}, {"count", rep_.count},
                {"complete", complete}};
    if (complete) w_.state["last_until"] = w_.until;
    write_state(rep_.state_file, w_.state);
  }

  void account() {
    rep_.requests = client_.requests();
    rep_.retries = client_.retries();
  }

  const CtgovOptions& options_;
  Window& w_;
  FetchReport& rep_;
  const FetchLog& log_;
  PoliteClient client_;
  json& win_;
  std::size_t page_ = 0;
  std::string token_;
  Page last_;
  std::string body_;
};

}  // namespace

FetchReport fetch_ctgov(const CtgovOptions& options, const FetchLog& log_in) {
  const FetchLog log = log_in ? log_in : [](const std::string&) {};
  const FetchWindow& opt = options.window;
  if (opt.query.empty()) throw Error(ErrorCode::invalid_argument, "the ClinicalTrials.gov query is empty");
  if (options.page_size < 1 || options.page_size > 1000)
    throw Error(ErrorCode::invalid_argument, "the page size must be 1..1000 (the API's largest pageSize)");
  FetchReport rep;
  Window w = begin_run(opt, "ctgov", rep);
  if (w.up_to_date) return rep;
  CtgovRun run(options, w, rep, log);
  run.first_page();
  if (opt.dry_run)
    run.plan();
  else
    run.write_pages();
  return rep;
}

}  // namespace evidence
