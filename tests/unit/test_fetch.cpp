// evidence-fetch over loopback: a replay server answers with real recorded E-utilities and
// ClinicalTrials.gov API v2 answers from ../shared/data and injects faults (429 with Retry-After,
// 5xx, a cut connection, a malformed page) on demand.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <sys/wait.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <thread>

#include "evidence/errors.hpp"
#include "evidence/fetch.hpp"
#include "evidence/ingest.hpp"
#include "evidence/url.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::LoopbackServing;
using evidence::test::read_text;
using evidence::test::shared_data;
using evidence::test::temp_dir;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

enum class Fault { status_429, status_500, status_503, cut, malformed };

struct Seen {
  std::string path;
  httplib::Params params;
  Clock::time_point at;
  std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string("<absent>") : it->second;
  }
};

// The replay server. Faults are queued per path and taken one per request, before the recorded
// answer; a fault with `forever` is taken by every request whose parameter matches.
class ReplayServer {
 public:
  ReplayServer() {
    const fs::path eutils = shared_data() / "pubmed_xml/eutils_fixtures/biopython";
    const fs::path efetch = shared_data() / "pubmed_xml/efetch_fixtures/biopython";
    esearch_history_ = read_text(eutils / "esearch9.xml");
    esearch_empty_ = read_text(eutils / "esearch8.xml");
    articles_ = {read_text(efetch / "pubmed1.xml"), read_text(efetch / "pubmed2.xml")};
    // The real page leads to a second one (its nextPageToken); the second is the same page with
    // the token removed, made here in memory.
    ctgov_first_ = nlohmann::json::parse(
        read_text(shared_data() / "clinicaltrials_gov/api_v2_example/studies_page_real_10_studies.json"));
    first_token_ = ctgov_first_.at("nextPageToken").get<std::string>();

    svr_.Get("/eutils/esearch.fcgi", [this](const httplib::Request& req, httplib::Response& res) {
      if (serve_fault("esearch", req, res)) return;
      const bool empty = req.get_param_value("term").find("abcXYZ") != std::string::npos;
      res.set_content(empty ? esearch_empty_ : esearch_history_, "text/xml");
    });
    svr_.Get("/eutils/efetch.fcgi", [this](const httplib::Request& req, httplib::Response& res) {
      if (serve_fault("efetch", req, res)) return;
      // Only the history server's result set is served: the WebEnv and QueryKey of esearch9.
      if (req.get_param_value("WebEnv").rfind("NCID_1_214573425", 0) != 0 || req.get_param_value("query_key") != "19") {
        res.status = 400;
        res.set_content("{\"error\":\"unknown WebEnv/query_key\"}", "application/json");
        return;
      }
      const auto start = std::stoul(req.get_param_value("retstart"));
      res.set_content(articles_.at(start), "text/xml");
    });
    svr_.Get("/ctgov/studies", [this](const httplib::Request& req, httplib::Response& res) {
      if (serve_fault("studies", req, res)) return;
      nlohmann::json page = ctgov_first_;
      const std::string token = req.get_param_value("pageToken");
      if (token == first_token_) {
        page.erase("nextPageToken");
      } else if (!token.empty()) {
        res.status = 400;
        res.set_content("{\"message\":\"pageToken is invalid\"}", "application/json");
        return;
      }
      if (req.get_param_value("countTotal") == "true") page["totalCount"] = 20;
      res.set_content(page.dump(1), "application/json");
    });
    serving_.emplace(svr_);
  }
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  std::string url(const std::string& prefix) const {
    return "http://127.0.0.1:" + std::to_string(serving_->port()) + prefix;
  }

  // Queues a fault for the next request to `what` ("esearch", "efetch", "studies").
  void fault(const std::string& what, Fault f, const std::string& retry_after = "") {
    std::lock_guard lock(m_);
    faults_[what].push_back({f, retry_after, "", ""});
  }
  // A fault for every request to `what` whose parameter `param` is `value`.
  void fault_forever(const std::string& what, Fault f, const std::string& param, const std::string& value) {
    std::lock_guard lock(m_);
    faults_[what].push_back({f, "", param, value});
  }
  void clear_faults() {
    std::lock_guard lock(m_);
    faults_.clear();
  }
  std::vector<Seen> seen(const std::string& path_end = "") {
    std::lock_guard lock(m_);
    std::vector<Seen> out;
    for (const auto& s : seen_)
      if (s.path.ends_with(path_end)) out.push_back(s);
    return out;
  }
  void forget() {
    std::lock_guard lock(m_);
    seen_.clear();
  }
  const std::string& first_token() const { return first_token_; }

 private:
  struct Queued {
    Fault fault;
    std::string retry_after;
    std::string param, value;  // set: a fault forever, for requests with this parameter value
  };

  // Records the request; answers with the next fault queued for it, if any.
  bool serve_fault(const std::string& what, const httplib::Request& req, httplib::Response& res) {
    std::optional<Queued> q;
    {
      std::lock_guard lock(m_);
      seen_.push_back({req.path, req.params, Clock::now()});
      auto& list = faults_[what];
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->param.empty()) {
          q = *it;
          list.erase(it);
          break;
        }
        if (req.get_param_value(it->param) == it->value) {
          q = *it;
          break;
        }
      }
    }
    if (!q) return false;
    switch (q->fault) {
      case Fault::status_429:
        res.status = 429;
        if (!q->retry_after.empty()) res.set_header("Retry-After", q->retry_after);
        res.set_content("{\"error\":\"API rate limit exceeded\"}", "application/json");
        break;
      case Fault::status_500: res.status = 500; break;
      case Fault::status_503: res.status = 503; break;
      case Fault::cut: {
        // Content-Length promises 4000 bytes; half of them come, then the connection closes.
        res.set_content_provider(4000, "text/xml", [](std::size_t, std::size_t, httplib::DataSink& sink) {
          const std::string half(2000, ' ');
          sink.write(half.data(), half.size());
          return false;
        });
        break;
      }
      case Fault::malformed:
        // A complete answer (right Content-Length) whose body stops in the middle of the page.
        if (what == "studies")
          res.set_content("{\"studies\": [{\"protocolSection\": {\"identificationModule\": ", "application/json");
        else
          res.set_content(articles_[0].substr(0, articles_[0].size() / 2), "text/xml");
        break;
    }
    return true;
  }

  httplib::Server svr_;
  std::optional<LoopbackServing> serving_;  // after svr_: stops serving before svr_ goes
  std::mutex m_;
  std::map<std::string, std::deque<Queued>> faults_;
  std::vector<Seen> seen_;
  std::string esearch_history_, esearch_empty_;
  std::vector<std::string> articles_;
  nlohmann::json ctgov_first_;
  std::string first_token_;
};

// Fast retries for tests: three attempts, 10 ms then 20 ms apart.
RetryPolicy quick_retries() {
  RetryPolicy r;
  r.max_attempts = 3;
  r.initial_backoff = std::chrono::milliseconds(10);
  r.max_backoff = std::chrono::milliseconds(2000);
  r.connect_timeout = std::chrono::seconds(5);
  r.read_timeout = std::chrono::seconds(5);
  return r;
}

PubmedOptions pubmed_options(const ReplayServer& server, const fs::path& out) {
  PubmedOptions o;
  o.window.query = "\"low back pain\"[MeSH] AND randomized controlled trial[pt]";
  o.window.since = "2026-11-01";
  o.window.until = "2026-12-01";
  o.window.out = out;
  o.email = "maintainer@example.org";
  o.api_key = "secret-key";
  o.batch_size = 1;  // esearch9 has 2 records: two batches
  o.rate = 200;
  o.client.base_url = server.url("/eutils");
  o.client.retry = quick_retries();
  return o;
}

CtgovOptions ctgov_options(const ReplayServer& server, const fs::path& out) {
  CtgovOptions o;
  o.window.query = "low back pain";
  o.window.since = "2026-11-01";
  o.window.until = "2026-12-01";
  o.window.out = out;
  o.page_size = 10;
  o.client.base_url = server.url("/ctgov");
  o.client.requests_per_second = 200;
  o.client.retry = quick_retries();
  return o;
}

// Names in the folder, hidden ones included, sorted.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool has_temporary_file(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().ends_with(".part")) return true;
  return false;
}

std::vector<std::string> params_of(const std::vector<Seen>& seen, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& s : seen) out.push_back(s.param(name));
  return out;
}

// Runs fn, which must throw evidence::Error; returns it.
template <class F>
Error error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no evidence::Error was thrown");
  return Error(ErrorCode::internal, "unreachable");
}

}  // namespace

TEST_CASE("fetch: Retry-After as seconds and as an HTTP-date", "[fetch]") {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after("120", now) == std::chrono::seconds(120));
  CHECK(parse_retry_after(" 0 ", now) == std::chrono::seconds(0));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now) == std::chrono::seconds(10));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now) == std::chrono::seconds(0));  // past
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK(percent_encode("\"low back pain\"[MeSH] AND x/y") == "%22low%20back%20pain%22%5BMeSH%5D%20AND%20x%2Fy");
}

TEST_CASE("fetch: the rate limiter spaces request starts 1/rate apart", "[fetch]") {
  RateLimiter limiter(50);  // 20 ms apart
  const auto start = Clock::now();
  for (int i = 0; i < 6; ++i) limiter.wait();
  CHECK(Clock::now() - start >= std::chrono::milliseconds(100));  // 5 intervals after the first
  CHECK_THROWS_AS(RateLimiter(0), Error);
}

TEST_CASE("fetch pubmed: esearch on the history server, efetch in batches, files the PubMed reader reads",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed") / "out";
  std::vector<std::string> lines;
  const FetchReport rep = fetch_pubmed(pubmed_options(server, out), [&](const std::string& l) { lines.push_back(l); });
  CHECK(rep.count == 2);
  CHECK(rep.parts == 2);
  CHECK(rep.records_written == 4);  // pubmed1.xml and pubmed2.xml hold 2 each
  CHECK(rep.retries == 0);
  CHECK_FALSE(rep.resumed);
  REQUIRE(rep.files.size() == 2);
  CHECK(listing(out) == std::vector<std::string>{".fetch-pubmed.json", "pubmed-20261101-20261201-001.xml",
                                                 "pubmed-20261101-20261201-002.xml"});

  const auto search = server.seen("esearch.fcgi");
  REQUIRE(search.size() == 1);
  CHECK(search[0].param("term") == "\"low back pain\"[MeSH] AND randomized controlled trial[pt]");
  CHECK(search[0].param("usehistory") == "y");
  CHECK(search[0].param("datetype") == "edat");
  CHECK(search[0].param("mindate") == "2026/11/01");
  CHECK(search[0].param("maxdate") == "2026/12/01");
  CHECK(search[0].param("tool") == "backpain-evidence");
  CHECK(search[0].param("email") == "maintainer@example.org");
  CHECK(search[0].param("api_key") == "secret-key");
  const auto fetched = server.seen("efetch.fcgi");
  CHECK(params_of(fetched, "retstart") == std::vector<std::string>{"0", "1"});
  CHECK(params_of(fetched, "retmax") == std::vector<std::string>{"1", "1"});
  CHECK(params_of(fetched, "query_key") == std::vector<std::string>{"19", "19"});
  CHECK(params_of(fetched, "retmode") == std::vector<std::string>{"xml", "xml"});

  // The project's PubMed reader reads every file, with the record it should hold.
  std::vector<std::string> pmids;
  for (const auto& f : rep.files) {
    const ReadResult r = read_pubmed_xml(read_input_file(f), f.string());
    CHECK(r.problems.empty());
    for (const auto& s : r.studies) pmids.push_back(s.identifiers.pmid);
  }
  CHECK(pmids == std::vector<std::string>{"12091962", "9997", "11748933", "11700088"});

  const auto state = nlohmann::json::parse(read_text(out / ".fetch-pubmed.json"));
  CHECK(state.at("last_until") == "2026-12-01");
  CHECK(state.at("window").at("complete") == true);
  CHECK(state.at("window").at("done") == nlohmann::json::array({0, 1}));
  CHECK(rep.to_text().find("2 files written (4 records)") != std::string::npos);
}

TEST_CASE("fetch pubmed: 429 with Retry-After, 500, a cut connection and a malformed page are retried",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-transient") / "out";
  server.fault("esearch", Fault::status_500);
  server.fault("efetch", Fault::status_429, "0");
  server.fault("efetch", Fault::cut);
  server.fault("efetch", Fault::malformed);
  std::vector<std::string> lines;
  PubmedOptions o = pubmed_options(server, out);
  o.client.retry.max_attempts = 4;
  const FetchReport rep = fetch_pubmed(o, [&](const std::string& l) { lines.push_back(l); });
  CHECK(rep.retries == 4);
  CHECK(rep.requests == 7);
  CHECK(rep.records_written == 4);  // pubmed1.xml and pubmed2.xml hold 2 each
  CHECK_FALSE(has_temporary_file(out));
  std::string log;
  for (const auto& l : lines) log += l + "\n";
  CHECK(log.find("HTTP 500") != std::string::npos);
  CHECK(log.find("HTTP 429") != std::string::npos);
  CHECK(log.find("connection was cut") != std::string::npos);
  CHECK(log.find("not well-formed XML") != std::string::npos);
  CHECK(log.find("secret-key") == std::string::npos);  // the API key never appears in a message
  for (const auto& f : rep.files) CHECK(read_pubmed_xml(read_input_file(f), f.string()).studies.size() == 2);
}

TEST_CASE("fetch pubmed: a Retry-After is waited for, and one longer than the longest wait ends the run",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-retry-after") / "out";
  server.fault("esearch", Fault::status_429, "1");
  fetch_pubmed(pubmed_options(server, out));
  const auto search = server.seen("esearch.fcgi");
  REQUIRE(search.size() == 2);
  CHECK(search[1].at - search[0].at >= std::chrono::milliseconds(950));

  server.fault("esearch", Fault::status_429, "3600");
  auto o = pubmed_options(server, temp_dir("fetch-pubmed-retry-after-long") / "out");
  const Error e = error_of([&] { fetch_pubmed(o); });
  CHECK(e.code() == ErrorCode::remote_unavailable);
  CHECK(std::string(e.what()).find("retry after 3600.0s") != std::string::npos);
}

TEST_CASE("fetch pubmed: persistent faults fail with the URL and leave only whole files, and a re-run resumes",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-persistent") / "out";
  const std::string first = "pubmed-20261101-20261201-001.xml";
  const auto o = pubmed_options(server, out);

  SECTION("HTTP 500 on every attempt") {
    server.fault_forever("efetch", Fault::status_500, "retstart", "1");
    const Error e = error_of([&] { fetch_pubmed(o); });
    CHECK(e.code() == ErrorCode::remote_unavailable);
    CHECK(std::string(e.what()).find("HTTP 500 from http://127.0.0.1:") != std::string::npos);
    CHECK(std::string(e.what()).find("/eutils/efetch.fcgi?") != std::string::npos);
    CHECK(std::string(e.what()).find("retstart=1") != std::string::npos);
    CHECK(std::string(e.what()).find("api_key=***") != std::string::npos);
    CHECK(std::string(e.what()).find("gave up after 3 attempts") != std::string::npos);
  }
  SECTION("a cut connection on every attempt") {
    server.fault_forever("efetch", Fault::cut, "retstart", "1");
    CHECK(error_of([&] { fetch_pubmed(o); }).code() == ErrorCode::remote_unavailable);
  }
  SECTION("a malformed page on every attempt") {
    server.fault_forever("efetch", Fault::malformed, "retstart", "1");
    const Error e = error_of([&] { fetch_pubmed(o); });
    CHECK(e.code() == ErrorCode::remote_bad_answer);
    CHECK(std::string(e.what()).find("a malformed answer (not well-formed XML") != std::string::npos);
  }
  // The first batch is whole and recorded; of the second nothing, not even a temporary file.
  CHECK(server.seen("efetch.fcgi").size() == 4);  // batch 1 once, batch 2 three times
  CHECK(listing(out) == std::vector<std::string>{".fetch-pubmed.json", first});
  const auto state = nlohmann::json::parse(read_text(out / ".fetch-pubmed.json"));
  CHECK(state.at("window").at("done") == nlohmann::json::array({0}));
  CHECK(state.at("window").at("complete") == false);

  // The fault is gone: a re-run searches again and fetches only the second batch.
  server.clear_faults();
  server.forget();
  const auto before = fs::last_write_time(out / first);
  const FetchReport rep = fetch_pubmed(o);
  CHECK(rep.resumed);
  CHECK(rep.parts_done_before == 1);
  CHECK(params_of(server.seen("efetch.fcgi"), "retstart") == std::vector<std::string>{"1"});
  CHECK(rep.files == std::vector<fs::path>{out / "pubmed-20261101-20261201-002.xml"});
  CHECK(fs::last_write_time(out / first) == before);
  CHECK(rep.to_text().find("resumed: 1 file written (2 records) (1 done by an earlier run)") != std::string::npos);

  // The window is finished: the next run without --since starts the day after it ended (no
  // record in two windows), and the date type is the one asked for.
  auto next = o;
  next.window.since.clear();
  next.window.until = "2026-12-08";
  next.window.dry_run = true;
  next.date_type = "mdat";
  server.forget();
  const FetchReport plan = fetch_pubmed(next);
  CHECK(plan.since == "2026-12-02");
  CHECK_FALSE(plan.resumed);
  REQUIRE(server.seen().size() == 1);
  CHECK(server.seen()[0].param("mindate") == "2026/12/02");
  CHECK(server.seen()[0].param("datetype") == "mdat");
}

TEST_CASE("fetch: a run on the day after the last window ended has nothing to fetch and asks nothing",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-up-to-date") / "out";
  auto o = pubmed_options(server, out);
  o.window.until.clear();  // yesterday
  const FetchReport first = fetch_pubmed(o);
  CHECK(first.files.size() == 2);
  o.window.since.clear();
  server.forget();
  const FetchReport again = fetch_pubmed(o);
  CHECK(again.up_to_date);
  CHECK(again.files.empty());
  CHECK(server.seen().empty());
  CHECK(again.to_text().find("PubMed: nothing to fetch") == 0);
}

TEST_CASE("fetch pubmed: a dry run writes nothing and reports the count and the plan", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-dry") / "out";
  auto o = pubmed_options(server, out);
  o.window.dry_run = true;
  const FetchReport rep = fetch_pubmed(o);
  CHECK_FALSE(fs::exists(out));
  CHECK(rep.count == 2);
  CHECK(rep.parts == 2);
  CHECK(rep.files.size() == 2);
  CHECK(server.seen("efetch.fcgi").empty());
  const std::string text = rep.to_text();
  CHECK(text.find("PubMed, entered 2026-11-01 to 2026-12-01: 2 records") != std::string::npos);
  CHECK(text.find("plan: 2 batches, 2 files to write into") != std::string::npos);
  CHECK(text.find("  pubmed-20261101-20261201-002.xml\n") != std::string::npos);
  CHECK(text.find("dry run: nothing written") != std::string::npos);
}

TEST_CASE("fetch pubmed: an empty result (esearch8) writes no file and finishes the window", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-empty") / "out";
  auto o = pubmed_options(server, out);
  o.window.query = "abcXYZ";
  std::vector<std::string> lines;
  const FetchReport rep = fetch_pubmed(o, [&](const std::string& l) { lines.push_back(l); });
  CHECK(rep.count == 0);
  CHECK(rep.files.empty());
  CHECK(server.seen("efetch.fcgi").empty());
  CHECK(listing(out) == std::vector<std::string>{".fetch-pubmed.json"});
  CHECK(std::find(lines.begin(), lines.end(), "esearch: PhraseNotFound: abcXYZ") != lines.end());
}

namespace {
// Arrival times at the server carry scheduling jitter that the client's spacing does not (a
// request handled late looks closer to the next one), so each gap may come up to half an interval
// short; a limiter that does not hold requests back gives gaps of about a millisecond.
void check_spacing(const std::vector<Seen>& seen, double rate) {
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].at - seen[i - 1].at >= interval / 2);
  CHECK(seen.back().at - seen.front().at >= interval * static_cast<long>(seen.size() - 1) - interval / 2);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    long in_a_second = 0;
    for (std::size_t j = i; j < seen.size() && seen[j].at - seen[i].at < std::chrono::seconds(1); ++j) ++in_a_second;
    CHECK(in_a_second <= static_cast<long>(rate));
  }
}
}  // namespace

TEST_CASE("fetch pubmed: the request rate stays under the limit", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  auto o = pubmed_options(server, temp_dir("fetch-pubmed-rate") / "out");
  o.rate = 10;                                // 100 ms apart
  server.fault("efetch", Fault::status_500);  // a retry is a request too
  fetch_pubmed(o);
  REQUIRE(server.seen().size() == 4);
  check_spacing(server.seen(), 10);
  // Without --rate: NCBI's 3 a second without an API key, 10 with one.
  for (const bool key : {false, true}) {
    auto o2 = pubmed_options(server, temp_dir("fetch-pubmed-rate-default") / "out");
    o2.rate = 0;
    if (!key) o2.api_key.clear();
    server.forget();
    fetch_pubmed(o2);
    const auto s2 = server.seen();
    REQUIRE(s2.size() == 3);
    check_spacing(s2, key ? 10 : 3);
    if (key) CHECK(s2[2].at - s2[0].at < std::chrono::milliseconds(600));  // not held to 3 a second
  }
}

TEST_CASE("fetch pubmed: bad options and a folder of another query are refused", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-pubmed-args") / "out";
  auto o = pubmed_options(server, out);
  o.window.since = "2026-02-30";
  CHECK(error_of([&] { fetch_pubmed(o); }).code() == ErrorCode::invalid_argument);
  o.window.since = "2026-12-02";  // after until
  CHECK(error_of([&] { fetch_pubmed(o); }).code() == ErrorCode::invalid_argument);
  o.window.since.clear();  // no earlier run to continue from
  CHECK(std::string(error_of([&] { fetch_pubmed(o); }).what()).find("--since is needed") != std::string::npos);
  o = pubmed_options(server, out);
  fetch_pubmed(o);
  o.window.query = "sciatica";
  const Error e = error_of([&] { fetch_pubmed(o); });
  CHECK(e.code() == ErrorCode::invalid_argument);
  CHECK(std::string(e.what()).find("another query") != std::string::npos);
  o.client.base_url = "ftp://example.org";
  CHECK(error_of([&] { fetch_pubmed(o); }).code() == ErrorCode::invalid_argument);
}

TEST_CASE("fetch ctgov: pages followed by nextPageToken into files the ClinicalTrials.gov reader reads",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-ctgov") / "out";
  const FetchReport rep = fetch_ctgov(ctgov_options(server, out));
  CHECK(rep.count == 20);
  CHECK(rep.parts == 2);
  CHECK(rep.records_written == 20);
  CHECK(listing(out) == std::vector<std::string>{".fetch-ctgov.json", "ctgov-20261101-20261201-0001.json",
                                                 "ctgov-20261101-20261201-0002.json"});
  const auto seen = server.seen("/studies");
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].param("query.term") == "low back pain");
  CHECK(seen[0].param("filter.advanced") == "AREA[LastUpdatePostDate]RANGE[2026-11-01,2026-12-01]");
  CHECK(seen[0].param("pageSize") == "10");
  CHECK(seen[0].param("countTotal") == "true");
  CHECK(seen[0].param("pageToken") == "<absent>");
  CHECK(seen[1].param("pageToken") == server.first_token());
  for (const auto& f : rep.files) {
    const ReadResult r = read_ctgov_json(read_input_file(f), f.string());
    CHECK(detect_format(read_input_file(f)) == InputFormat::ctgov_json);
    CHECK(r.studies.size() == 10);
    CHECK(r.problems.empty());
  }
  const auto state = nlohmann::json::parse(read_text(out / ".fetch-ctgov.json"));
  CHECK(state.at("last_until") == "2026-12-01");
  CHECK(state.at("window").at("complete") == true);
}

TEST_CASE("fetch ctgov: transient faults are retried, a persistent one fails and a re-run resumes from the token",
          "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-ctgov-faults") / "out";
  const auto o = ctgov_options(server, out);
  server.fault("studies", Fault::malformed);
  server.fault("studies", Fault::status_503);
  server.fault_forever("studies", Fault::malformed, "pageToken", server.first_token());
  const Error e = error_of([&] { fetch_ctgov(o); });
  CHECK(e.code() == ErrorCode::remote_bad_answer);
  CHECK(std::string(e.what()).find("not valid JSON") != std::string::npos);
  CHECK(std::string(e.what()).find("/ctgov/studies?") != std::string::npos);
  CHECK(listing(out) == std::vector<std::string>{".fetch-ctgov.json", "ctgov-20261101-20261201-0001.json"});

  server.clear_faults();
  server.forget();
  const FetchReport rep = fetch_ctgov(o);
  CHECK(rep.resumed);
  CHECK(rep.parts_done_before == 1);
  const auto seen = server.seen("/studies");
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].param("pageToken") == server.first_token());
  CHECK(rep.files == std::vector<fs::path>{out / "ctgov-20261101-20261201-0002.json"});
  CHECK_FALSE(has_temporary_file(out));
}

TEST_CASE("fetch ctgov: a saved page token the service no longer takes starts the window over", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-ctgov-stale") / "out";
  fs::create_directories(out);
  std::ofstream(out / ".fetch-ctgov.json") << R"({"source": "ctgov", "query": "low back pain", "last_until": "",
    "window": {"since": "2026-11-01", "until": "2026-12-01", "page_size": 10, "pages_done": 1,
               "next_page_token": "expired", "count": 20, "complete": false}})";
  const FetchReport rep = fetch_ctgov(ctgov_options(server, out));
  CHECK_FALSE(rep.resumed);
  CHECK(params_of(server.seen("/studies"), "pageToken") ==
        std::vector<std::string>{"expired", "<absent>", server.first_token()});
  CHECK(rep.files.size() == 2);
}

TEST_CASE("fetch ctgov: a dry run writes nothing and reports the count and the plan", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path out = temp_dir("fetch-ctgov-dry") / "out";
  auto o = ctgov_options(server, out);
  o.window.dry_run = true;
  const FetchReport rep = fetch_ctgov(o);
  CHECK_FALSE(fs::exists(out));
  CHECK(rep.count == 20);
  CHECK(rep.parts == 2);
  CHECK(server.seen().size() == 1);
  CHECK(rep.to_text().find("ClinicalTrials.gov, last updated 2026-11-01 to 2026-12-01: 20 records\nplan: 2 pages") !=
        std::string::npos);
}

TEST_CASE("evidence-fetch: exit codes and messages", "[fetch][shared]") {
  REQUIRE_SHARED_DATA();
  ReplayServer server;
  const fs::path dir = temp_dir("fetch-cli");
  const std::string bin = EVIDENCE_FETCH_BIN;
  const auto run = [&](const std::string& args) {
    const std::string cmd =
        bin + " " + args + " > '" + (dir / "stdout").string() + "' 2> '" + (dir / "stderr").string() + "'";
    return WEXITSTATUS(std::system(cmd.c_str()));
  };
  const std::string window = "--since 2026-11-01 --until 2026-12-01 --backoff 0.01 --attempts 2 --rate 100 ";
  const std::string ctgov = "ctgov --query 'low back pain' --base-url " + server.url("/ctgov") + " " + window;
  const std::string pubmed = "pubmed --query 'low back pain' --email m@example.org --batch-size 1 --base-url " +
                             server.url("/eutils") + " " + window;

  CHECK(run(ctgov + "--page-size 10 --dry-run --out '" + (dir / "ct").string() + "'") == 0);
  CHECK(read_text(dir / "stdout").find("20 records\nplan: 2 pages") != std::string::npos);
  CHECK(read_text(dir / "stdout").find("dry run: nothing written") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "ct"));

  CHECK(run(pubmed + "--out '" + (dir / "pm").string() + "'") == 0);
  CHECK(read_text(dir / "stdout").find("fetched: 2 files written (4 records)") != std::string::npos);

  server.fault_forever("efetch", Fault::malformed, "retstart", "1");
  CHECK(run(pubmed + "--out '" + (dir / "pm2").string() + "'") == 3);
  const std::string err = read_text(dir / "stderr");
  CHECK(err.find("a malformed answer (not well-formed XML") != std::string::npos);
  CHECK(err.find("(remote_bad_answer)") != std::string::npos);
  CHECK(err.find("run again to resume") != std::string::npos);

  CHECK(run("pubmed --query x --since 2026-13-01 --out '" + (dir / "pm3").string() + "'") == 2);
  CHECK(read_text(dir / "stderr").find("is not a date (YYYY-MM-DD) (invalid_argument)") != std::string::npos);
  CHECK(run("pubmed --since 2026-11-01 --out x") == 2);  // no --query
  CHECK(run("--help") == 0);
}

TEST_CASE("fetch: https over loopback verifies the server's certificate against the CA file", "[fetch]") {
  // A self-signed certificate for 127.0.0.1, made for this test by the openssl command line.
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    WARN("SKIPPED: the openssl command is not installed (Debian: apt-get install openssl)");
    return;
  }
  const fs::path dir = temp_dir("fetch-tls");
  const fs::path cert = dir / "cert.pem", key = dir / "key.pem";
  const std::string make_cert =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key.string() + "' -out '" + cert.string() + "' >/dev/null 2>&1";
  REQUIRE(std::system(make_cert.c_str()) == 0);

  httplib::SSLServer svr(cert.c_str(), key.c_str());
  REQUIRE(svr.is_valid());
  svr.Get("/eutils/einfo.fcgi", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("<eInfoResult db=\"" + req.get_param_value("db") + "\"/>", "text/xml");
  });
  const LoopbackServing serving(svr);

  ClientOptions options;
  options.base_url = "https://127.0.0.1:" + std::to_string(serving.port()) + "/eutils";
  options.requests_per_second = 200;
  options.retry = quick_retries();
  options.retry.max_attempts = 1;
  const auto no_check = [](const std::string&) { return std::string(); };

  SECTION("trusted through --ca-file: the answer arrives over TLS") {
    options.ca_file = cert.string();
    PoliteClient client(options, {});
    CHECK(client.get("/einfo.fcgi", {{"db", "pubmed"}}, no_check) == "<eInfoResult db=\"pubmed\"/>");
  }
  SECTION("not trusted (the system's store): refused, with the reason and the URL") {
    PoliteClient client(options, {});
    const Error e = error_of([&] { client.get("/einfo.fcgi", {{"db", "pubmed"}}, no_check); });
    CHECK(e.code() == ErrorCode::remote_unavailable);
    CHECK_THAT(e.what(), Catch::Contains("certificate did not verify"));
    CHECK_THAT(e.what(), Catch::Contains(options.base_url + "/einfo.fcgi?db=pubmed"));
  }
  SECTION("a CA file that does not exist is refused before any request") {
    options.ca_file = (dir / "missing.pem").string();
    const Error e = error_of([&] { PoliteClient client(options, {}); });
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains("missing.pem"));
  }
}
