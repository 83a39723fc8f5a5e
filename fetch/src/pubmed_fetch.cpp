// PubMed through NCBI E-utilities: one esearch on the history server gives the count of the
// window and a WebEnv/QueryKey; efetch then takes the result set in batches (retstart/retmax),
// each into one PubmedArticleSet file. The WebEnv is never kept across runs (NCBI expires it
// after hours of idleness): a resumed run searches again and goes on only if the window still
// holds the same number of records, so its batches still cut the set in the same places.
#include <pugixml.hpp>

#include <algorithm>
#include <set>

#include "evidence/errors.hpp"
#include "evidence/fetch.hpp"
#include "output_folder.hpp"

namespace evidence {

using namespace fetch_detail;
using nlohmann::json;

namespace {

struct SearchResult {
  long long count = -1;
  std::string web_env, query_key;
  std::vector<std::string> notes;  // ErrorList / WarningList messages (e.g. a phrase not found)
};

std::string xml_problem(const pugi::xml_parse_result& r, const std::string& body) {
  return "not well-formed XML (" + std::string(r.description()) + " at byte " + std::to_string(r.offset) + " of " +
         std::to_string(body.size()) + ")";
}

std::string node_text(const pugi::xml_node& n) {
  std::string s = n.text().as_string();
  if (s.empty()) s = n.child_value();
  return s;
}

// "" when the body is an eSearchResult with a count (and, for a non-empty result, the history
// server's WebEnv and QueryKey); else what is wrong with it.
std::string check_esearch(const std::string& body, SearchResult& out) {
  pugi::xml_document doc;
  const auto r = doc.load_buffer(body.data(), body.size());
  if (!r) return xml_problem(r, body);
  const pugi::xml_node root = doc.child("eSearchResult");
  if (!root) return "not an eSearchResult (root element <" + std::string(doc.document_element().name()) + ">)";
  if (const auto err = root.child("ERROR")) return "E-utilities reported an error: " + node_text(err);
  const std::string count = root.child("Count").text().as_string();
  if (count.empty() || count.size() > 12 ||
      !std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "no record count (<Count>) in the eSearchResult";
  out.count = std::stoll(count);
  out.web_env = root.child("WebEnv").text().as_string();
  out.query_key = root.child("QueryKey").text().as_string();
  if (out.count > 0 && (out.web_env.empty() || out.query_key.empty()))
    return "no WebEnv/QueryKey in the eSearchResult although the history server was asked for";
  out.notes.clear();
  for (const char* list : {"ErrorList", "WarningList"})
    for (const auto& n : root.child(list).children()) out.notes.push_back(std::string(n.name()) + ": " + node_text(n));
  return "";
}

// "" when the body is a PubmedArticleSet, counting its records; else what is wrong with it.
std::string check_efetch(const std::string& body, std::size_t& records) {
  pugi::xml_document doc;
  const auto r = doc.load_buffer(body.data(), body.size());
  if (!r) return xml_problem(r, body);
  const pugi::xml_node root = doc.child("PubmedArticleSet");
  if (!root) {
    const pugi::xml_node other = doc.document_element();
    const std::string err = node_text(other.child("ERROR"));
    return "not a PubmedArticleSet (root element <" + std::string(other.name()) + ">" +
           (err.empty() ? "" : ": " + err) + ")";
  }
  records = 0;
  for (const auto& n : root.children()) {
    const std::string name = n.name();
    if (name == "PubmedArticle" || name == "PubmedBookArticle") ++records;
  }
  return "";
}

QueryParams identity(const PubmedOptions& o) {
  QueryParams p{{"tool", o.tool}};
  if (!o.email.empty()) p.emplace_back("email", o.email);
  if (!o.api_key.empty()) p.emplace_back("api_key", o.api_key);
  return p;
}

// E-utilities dates are YYYY/MM/DD.
std::string eutils_date(std::string d) {
  std::replace(d.begin(), d.end(), '-', '/');
  return d;
}

std::string batch_file(const Window& w, std::size_t batch, std::size_t batches) {
  const std::size_t width = std::max<std::size_t>(3, std::to_string(batches).size());
  std::string n = std::to_string(batch + 1);
  n.insert(0, width - n.size(), '0');
  return "pubmed-" + compact_date(w.since) + "-" + compact_date(w.until) + "-" + n + ".xml";
}

void check_pubmed_options(const PubmedOptions& options) {
  if (options.window.query.empty()) throw Error(ErrorCode::invalid_argument, "the PubMed query is empty");
  if (options.batch_size < 1 || options.batch_size > 10000)
    throw Error(ErrorCode::invalid_argument, "the batch size must be 1..10000 (NCBI's largest retmax)");
  if (options.date_type != "edat" && options.date_type != "mdat" && options.date_type != "pdat")
    throw Error(ErrorCode::invalid_argument,
                "the date type must be edat, mdat or pdat, not '" + options.date_type + "'");
}

// By default the entry date (edat): when the record was added to PubMed, so a window never
// misses a record that was published earlier but indexed late, and no record is in two windows.
SearchResult search_window(const PubmedOptions& options, const Window& w, PoliteClient& client, const FetchLog& log) {
  QueryParams search{{"db", "pubmed"},
                     {"term", options.window.query},
                     {"usehistory", "y"},
                     {"datetype", options.date_type},
                     {"mindate", eutils_date(w.since)},
                     {"maxdate", eutils_date(w.until)},
                     {"retmax", "0"}};
  for (auto& p : identity(options)) search.push_back(p);
  SearchResult found;
  client.get("/esearch.fcgi", search, [&](const std::string& body) { return check_esearch(body, found); });
  for (const auto& n : found.notes) log("esearch: " + n);
  if (found.count > 10000)
    log("the window holds " + std::to_string(found.count) +
        " records; NCBI may serve only the first 10,000 of a PubMed search: if later batches fail, split the window "
        "(--until)");
  return found;
}

// The batches an earlier, interrupted run of the same window already wrote; none when the window
// now holds a different number of records or the batch size changed, since the batches would not line up.
// Rewrites the window's state for this run.
std::set<std::size_t> batches_done(const PubmedOptions& options, const SearchResult& found, Window& w, FetchReport& rep,
                                   const FetchLog& log) {
  json& win = w.state["window"];
  std::set<std::size_t> done;
  if (w.resumed) {
    if (win.value("count", -1LL) == found.count && win.value("batch_size", std::size_t{0}) == options.batch_size) {
      for (const auto& b : win.at("done")) done.insert(b.get<std::size_t>());
      rep.resumed = true;
    } else {
      log("the window " + w.since + ".." + w.until + " now holds " + std::to_string(found.count) +
          " records (an earlier run saw " + std::to_string(win.value("count", -1LL)) + "): fetching it whole again");
    }
  }
  rep.parts_done_before = done.size();
  win = json{{"since", w.since},     {"until", w.until}, {"count", found.count}, {"batch_size", options.batch_size},
             {"batches", rep.parts}, {"done", done},     {"complete", false}};
  return done;
}

}  // namespace

FetchReport fetch_pubmed(const PubmedOptions& options, const FetchLog& log_in) {
  const FetchLog log = log_in ? log_in : [](const std::string&) {};
  const FetchWindow& opt = options.window;
  check_pubmed_options(options);
  FetchReport rep;
  Window w = begin_run(opt, "pubmed", rep);
  if (w.up_to_date) return rep;

  ClientOptions copt = options.client;
  copt.requests_per_second =
      options.rate > 0 ? options.rate : (options.api_key.empty() ? eutils_rate_without_key : eutils_rate_with_key);
  PoliteClient client(copt, log);
  const auto account = [&] {
    rep.requests = client.requests();
    rep.retries = client.retries();
  };

  const SearchResult found = search_window(options, w, client, log);
  rep.count = found.count;
  const auto total = static_cast<std::size_t>(found.count);
  rep.parts = (total + options.batch_size - 1) / options.batch_size;
  std::set<std::size_t> done = batches_done(options, found, w, rep, log);
  json& win = w.state["window"];

  if (opt.dry_run) {
    for (std::size_t b = 0; b < rep.parts; ++b)
      if (!done.count(b)) rep.files.push_back(opt.out / batch_file(w, b, rep.parts));
    account();
    return rep;
  }

  prepare_folder(opt.out, "pubmed");
  for (std::size_t b = 0; b < rep.parts; ++b) {
    if (done.count(b)) continue;
    const std::size_t start = b * options.batch_size;
    QueryParams fetch{{"db", "pubmed"},
                      {"query_key", found.query_key},
                      {"WebEnv", found.web_env},
                      {"retstart", std::to_string(start)},
                      {"retmax", std::to_string(std::min(options.batch_size, total - start))},
                      {"retmode", "xml"}};
    for (auto& p : identity(options)) fetch.push_back(p);
    std::size_t records = 0;
    const std::string body =
        client.get("/efetch.fcgi", fetch, [&](const std::string& text) { return check_efetch(text, records); });
    const std::string name = batch_file(w, b, rep.parts);
    write_atomically(opt.out, name, body);
    rep.files.push_back(opt.out / name);
    rep.records_written += records;
    // Recorded only once the file is in place: a run killed in between fetches the batch again.
    done.insert(b);
    win["done"] = done;
    write_state(rep.state_file, w.state);
    log("batch " + std::to_string(b + 1) + "/" + std::to_string(rep.parts) + ": " + std::to_string(records) +
        " records -> " + name);
    account();
  }
  win["complete"] = true;
  w.state["last_until"] = w.until;
  write_state(rep.state_file, w.state);
  account();
  return rep;
}

}  // namespace evidence
