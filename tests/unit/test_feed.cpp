// What changed, for followers: the index's change log (core/include/evidence/change_log.hpp),
// kept across runs, rebuilds and capped; the previous generation and --rollback; and the Atom
// feed of a saved question (GET /api/feed) after a fetch from a replay server on loopback and an
// incremental index run, read back as XML.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <pugixml.hpp>
#include <thread>

#include "evidence/change_log.hpp"
#include "evidence/errors.hpp"
#include "evidence/fetch.hpp"
#include "evidence/index.hpp"
#include "evidence/index_run.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::read_text;
using evidence::test::temp_dir;
using evidence::test::test_data;
using evidence::test::TestServer;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

RunReport index_into(const fs::path& db, const fs::path& input, bool keep_previous = false, bool rebuild = false) {
  RunOptions o;
  o.db = db;
  o.inputs = {input};
  o.keep_previous = keep_previous;
  o.rebuild = rebuild;
  return run_index(o);
}

// The fictitious curated TENS trial of tests/data, with another id, PMID and result.
json curated(const std::string& id, const std::string& pmid, const std::string& direction = "no_difference",
             double value = 0.3, double low = -0.4, double high = 1.0, int n = 120) {
  json j = json::parse(read_text(test_data() / "curated/TEST001.json"));
  j["id"] = id;
  j["identifiers"] = {{"pmid", pmid}};
  j["title"] = "TENS versus sham for chronic low back pain: trial " + id;
  j["population"]["n_randomised"] = n;
  json& o = j["outcomes"][0];
  o["direction"] = direction;
  o["effect"]["value"] = value;
  o["effect"]["ci_low"] = low;
  o["effect"]["ci_high"] = high;
  o["n_participants"] = n;
  return j;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A PubMed record (efetch format) of a fictitious TENS trial.
std::string pubmed_article(const std::string& pmid, const std::string& title) {
  return "<PubmedArticle><MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\"><PMID Version=\"1\">" + pmid +
         "</PMID><Article PubModel=\"Print\"><Journal><JournalIssue><PubDate><Year>2025</Year></PubDate>"
         "</JournalIssue><Title>Test Journal</Title></Journal><ArticleTitle>" +
         title +
         "</ArticleTitle><Abstract><AbstractText>Adults with chronic low back pain were randomised to TENS or "
         "sham.</AbstractText></Abstract><Language>eng</Language><PublicationTypeList><PublicationType>"
         "Randomized Controlled Trial</PublicationType></PublicationTypeList></Article></MedlineCitation>"
         "</PubmedArticle>";
}

std::string pubmed_set(const std::string& body) {
  return "<?xml version=\"1.0\"?><PubmedArticleSet>" + body + "</PubmedArticleSet>";
}

// E-utilities on loopback: esearch answers with a history-server result of two records, efetch
// with the recorded update (tests/data/feed/efetch_update.xml) for that WebEnv and query key.
class EutilsReplay {
 public:
  EutilsReplay() {
    svr_.Get("/eutils/esearch.fcgi", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<eSearchResult><Count>2</Count><RetMax>0</RetMax>"
          "<RetStart>0</RetStart><QueryKey>7</QueryKey><WebEnv>NCID_1_feedtest</WebEnv><IdList/>"
          "<TranslationSet/><QueryTranslation>low back pain</QueryTranslation></eSearchResult>",
          "text/xml");
    });
    svr_.Get("/eutils/efetch.fcgi", [this](const httplib::Request& req, httplib::Response& res) {
      ++efetches;
      if (req.get_param_value("WebEnv") != "NCID_1_feedtest" || req.get_param_value("query_key") != "7") {
        res.status = 400;
        return;
      }
      res.set_content(read_text(test_data() / "feed/efetch_update.xml"), "text/xml");
    });
    serving_.emplace(svr_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(serving_->port()) + "/eutils"; }
  int efetches = 0;

 private:
  httplib::Server svr_;
  std::optional<evidence::test::LoopbackServing> serving_;  // after svr_: stops serving before svr_ goes
};

pugi::xml_node child(pugi::xml_node n, const char* name) {
  pugi::xml_node c = n.child(name);
  INFO("element " << name << " under " << n.name());
  CHECK(c);
  return c;
}

// Every entry carries what RFC 4287 requires (id, title, updated) and what the feed promises
// (a link and a summary); the feed carries id, title, updated, author and a self link.
void check_atom(const pugi::xml_document& doc) {
  const pugi::xml_node feed = doc.child("feed");
  REQUIRE(feed);
  CHECK(std::string(feed.attribute("xmlns").as_string()) == "http://www.w3.org/2005/Atom");
  for (const char* name : {"id", "title", "updated"}) CHECK(!std::string(child(feed, name).text().as_string()).empty());
  CHECK(!std::string(child(child(feed, "author"), "name").text().as_string()).empty());
  CHECK(feed.find_child_by_attribute("link", "rel", "self"));
  for (pugi::xml_node e : feed.children("entry")) {
    for (const char* name : {"id", "title", "updated", "summary"})
      CHECK(!std::string(child(e, name).text().as_string()).empty());
    CHECK(std::string(child(e, "link").attribute("href").as_string()).rfind("http://", 0) == 0);
    const std::string id = e.child("id").text().as_string();
    CHECK(id.rfind("tag:backpain-evidence,", 0) == 0);
    const std::string updated = e.child("updated").text().as_string();
    CHECK(updated.size() == 20);  // RFC 3339: 2026-12-01T05:00:00Z
    CHECK(updated.back() == 'Z');
  }
}

pugi::xml_node entry_titled(const pugi::xml_document& doc, const std::string& start) {
  for (pugi::xml_node e : doc.child("feed").children("entry"))
    if (std::string(e.child("title").text().as_string()).rfind(start, 0) == 0) return e;
  return {};
}

}  // namespace

TEST_CASE("the change log numbers entries, caps id lists and keeps the newest entries", "[change_log]") {
  std::vector<IndexChanges> log;
  for (int i = 0; i < 60; ++i) {
    IndexChanges c;
    c.added = {"R" + std::to_string(i)};
    c.added_count = 1;
    log = append_changes(std::move(log), c);
  }
  REQUIRE(log.size() == change_log_capacity);
  CHECK(log.front().number == 11);
  CHECK(log.back().number == 60);
  CHECK(log.back().added == std::vector<std::string>{"R59"});
  CHECK(log.back().id.size() == 36);
  CHECK(log.back().id != log[log.size() - 2].id);
  CHECK(log.back().at.size() == 20);

  IndexChanges big;
  big.added.resize(max_ids_per_list + 5, "X");
  big.added_count = big.added.size();
  log = append_changes(std::move(log), big, 3);
  CHECK(log.size() == 3);
  CHECK(log.back().added.size() == max_ids_per_list);
  CHECK(log.back().added_count == max_ids_per_list + 5);

  // Stored and read back whole; what is not a log reads as an empty one.
  const auto again = parse_change_log(dump_change_log(log));
  REQUIRE(again.size() == 3);
  CHECK(again.back().number == 61);
  CHECK(again.back().added_count == max_ids_per_list + 5);
  CHECK(parse_change_log("").empty());
  CHECK(parse_change_log("{not json").empty());
  CHECK(parse_change_log("{\"an\": \"object\"}").empty());
  const auto odd = parse_change_log(R"([1, {"number": "x", "added": [1, 2], "conclusions": [{"key": "a|b"}, 5]}])");
  REQUIRE(odd.size() == 1);
  CHECK(odd[0].number == 0);
  CHECK(odd[0].added.empty());
  REQUIRE(odd[0].conclusions.size() == 1);
  CHECK(odd[0].conclusions[0].key == "a|b");
}

TEST_CASE("each index run logs what it added, updated, deleted and retracted; the log survives runs and a rebuild",
          "[change_log][index]") {
  const fs::path dir = temp_dir("change-log"), db = dir / "index";
  write(dir / "one/T1.json", curated("T1", "99100001").dump());
  write(dir / "one/pm.xml", pubmed_set(pubmed_article("99100003", "TENS for chronic low back pain: a pilot trial")));
  const RunReport first = index_into(db, dir / "one");
  REQUIRE(first.committed);
  CHECK(first.changes.number == 1);
  CHECK(first.changes.fresh);  // a first run lists no records: every one is new
  CHECK(first.changes.added_count == 2);
  CHECK(first.changes.added.empty());
  CHECK(first.changes.conclusions.size() == 1);

  // Second run: T1 changes its result, T2 is new, the PubMed record is deleted by NLM.
  write(dir / "two/T1.json", curated("T1", "99100001", "favours_intervention", -1.5, -2.2, -0.8).dump());
  write(dir / "two/T2.json", curated("T2", "99100002").dump());
  write(dir / "two/del.xml", pubmed_set("<DeleteCitation><PMID Version=\"1\">99100003</PMID></DeleteCitation>"));
  const RunReport second = index_into(db, dir / "two");
  REQUIRE(second.committed);
  CHECK(second.changes.number == 2);
  CHECK_FALSE(second.changes.fresh);
  CHECK(second.changes.added == std::vector<std::string>{"T2"});
  CHECK(second.changes.updated == std::vector<std::string>{"T1"});
  CHECK(second.changes.deleted == std::vector<std::string>{"pubmed-99100003"});
  CHECK(second.changes.added_count == 1);
  CHECK(second.changes.updated_count == 1);
  CHECK(second.changes.deleted_count == 1);
  REQUIRE(second.changes.conclusions.size() == 1);
  const ConclusionChange& c = second.changes.conclusions[0];
  CHECK(c.key.rfind("tens|placebo_sham|pain|short|", 0) == 0);
  CHECK(c.before != c.after);
  CHECK_FALSE(c.before_sentence.empty());
  CHECK_FALSE(c.after_sentence.empty());
  CHECK(second.to_json()["change_log_entry"]["number"] == 2);

  // Nothing new: no entry (a quiet day does not push history out).
  const RunReport quiet = index_into(db, dir / "two");
  CHECK(quiet.changes.number == 0);
  {
    const auto log = IndexReader(db).change_log();
    REQUIRE(log.size() == 2);
    CHECK(log[1].added == std::vector<std::string>{"T2"});
  }

  // A rebuild writes a new generation; the log goes with it, and the rebuild adds its own entry
  // (a fresh generation: its counts, no ids).
  const RunReport rebuilt = index_into(db, dir / "two", false, true);
  REQUIRE(rebuilt.committed);
  const auto log = IndexReader(db).change_log();
  REQUIRE(log.size() == 3);
  CHECK(log[0].number == 1);
  CHECK(log[1].updated == std::vector<std::string>{"T1"});
  CHECK(log[2].fresh);
  CHECK(log[2].added.empty());
}

TEST_CASE("a keep-previous run keeps the previous generation and rollback_generation returns to it",
          "[change_log][index]") {
  const fs::path dir = temp_dir("rollback"), db = dir / "index";
  write(dir / "one/T1.json", curated("T1", "99200001").dump());
  REQUIRE(index_into(db, dir / "one").committed);
  CHECK_THROWS_MATCHES(rollback_generation(db), Error,
                       Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::not_found; }));

  write(dir / "two/T2.json", curated("T2", "99200002").dump());
  REQUIRE(index_into(db, dir / "two", true).committed);
  IndexReader reader(db);
  CHECK(reader.revision().rfind("gen-2:", 0) == 0);
  CHECK(reader.get("T2"));
  CHECK(fs::exists(db / "gen-1"));  // kept for a rollback
  CHECK(reader.change_log().size() == 2);

  {
    // While an indexer holds the lock, the stub is not moved.
    IndexWriter busy(db, evidence::test::vocabulary());
    CHECK_THROWS_MATCHES(rollback_generation(db), Error,
                         Catch::Predicate<Error>([](const Error& e) { return e.code() == ErrorCode::index_locked; }));
  }
  const Rollback r = rollback_generation(db);
  CHECK(r.from == "gen-2");
  CHECK(r.to == "gen-1");
  CHECK(reader.refresh());
  CHECK_FALSE(reader.get("T2"));
  CHECK(reader.get("T1"));
  CHECK(reader.change_log().size() == 1);  // the generation's own history
  CHECK(fs::exists(db / "gen-2"));         // left on disk until the next swap

  // The next update never reuses the name of the generation left behind (a server's cache is
  // keyed by it), and the swap removes that one.
  REQUIRE(index_into(db, dir / "two", true).committed);
  CHECK(reader.refresh());
  CHECK(reader.revision().rfind("gen-3:", 0) == 0);
  CHECK(reader.get("T2"));
  CHECK(fs::exists(db / "gen-1"));
  CHECK_FALSE(fs::exists(db / "gen-2"));
  const auto log = reader.change_log();
  REQUIRE(log.size() == 2);
  CHECK(log.back().number == 2);

  // The command line does the same.
  const std::string cmd = std::string(EVIDENCE_INDEX_BIN) + " --rollback --db " + db.string() + " > /dev/null";
  CHECK(std::system(cmd.c_str()) == 0);
  CHECK(reader.refresh());
  CHECK(reader.revision().rfind("gen-1:", 0) == 0);
}

TEST_CASE("fetch + index + feed: a saved question's Atom feed shows the new record and the changed conclusion",
          "[feed][api]") {
  const fs::path dir = temp_dir("feed"), db = dir / "index", inbox = dir / "inbox";
  // The knowledge base before: two curated TENS trials, one with no difference, one favouring TENS.
  write(dir / "first/TEST001.json", read_text(test_data() / "curated/TEST001.json"));
  write(dir / "first/T2.json", curated("T2", "99000020", "favours_intervention", -1.5, -2.2, -0.8, 200).dump());
  write(dir / "first/EX1.json", [] {
    json j = json::parse(read_text(test_data() / "curated/TEST001.json"));
    j["id"] = "EX1";
    j.erase("identifiers");
    j["title"] = "Massage for subacute low back pain";
    j["interventions"][0] = {{"concepts", {"massage"}}, {"label", "Massage"}};
    j["outcomes"][0]["intervention"] = {"massage"};
    return j.dump();
  }());
  REQUIRE(index_into(db, dir / "first").committed);

  // The fetch: records modified in the window, through the E-utilities replay on loopback.
  EutilsReplay eutils;
  PubmedOptions o;
  o.window = {"\"low back pain\"[MeSH] AND randomized controlled trial[pt]", "2026-11-01", "2026-11-30", inbox, false};
  o.client.base_url = eutils.url();
  o.rate = 200;
  o.date_type = "mdat";
  o.email = "maintainer@example.org";
  const FetchReport fetched = fetch_pubmed(o);
  CHECK(fetched.records_written == 2);
  CHECK(eutils.efetches == 1);

  // The update: an incremental run into a copy of the live generation.
  const RunReport update = index_into(db, inbox, true);
  REQUIRE(update.committed);
  CHECK(update.changes.added == std::vector<std::string>{"pubmed-99000021"});
  CHECK(update.changes.retracted == std::vector<std::string>{"TEST001"});
  REQUIRE(update.changes.conclusions.size() == 1);

  TestServer server(db);
  auto client = server.client();
  const std::string path = "/api/feed?q=TENS%20for%20chronic%20low%20back%20pain";
  const auto res = client.Get(path.c_str());
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type").rfind("application/atom+xml", 0) == 0);
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_string(res->body.c_str());
  INFO(res->body);
  REQUIRE(parsed);
  check_atom(doc);
  const pugi::xml_node feed = doc.child("feed");
  CHECK(std::string(feed.find_child_by_attribute("link", "rel", "self").attribute("href").as_string()) ==
        "http://127.0.0.1:" + std::to_string(server.port) + path);

  // The new record, linked to its study page.
  const pugi::xml_node added = entry_titled(doc, "New study: High-frequency TENS versus sham TENS");
  REQUIRE(added);
  CHECK(std::string(added.child("link").attribute("href").as_string()) ==
        "http://127.0.0.1:" + std::to_string(server.port) + "/?study=pubmed-99000021");
  CHECK(std::string(added.child("summary").text().as_string()).find("Test Journal of Pain & Rehabilitation") !=
        std::string::npos);
  // The retracted trial.
  CHECK(entry_titled(doc, "Retracted: Transcutaneous electrical nerve stimulation versus sham"));
  // The changed conclusion, in the clinician sentence before and after, linked to the question.
  const pugi::xml_node changed = entry_titled(doc, "Conclusion changed: ");
  REQUIRE(changed);
  const ConclusionChange& c = update.changes.conclusions[0];
  const pugi::xml_node div = changed.child("content").child("div");
  CHECK(std::string(changed.child("content").attribute("type").as_string()) == "xhtml");
  CHECK(std::string(div.attribute("xmlns").as_string()) == "http://www.w3.org/1999/xhtml");
  const std::string before = div.first_child().text().as_string(), after = div.last_child().text().as_string();
  CHECK(before == "Before: " + c.before_sentence);
  CHECK(after == "Now: " + c.after_sentence);
  CHECK(after.find("moderate improvement") != std::string::npos);
  CHECK(std::string(changed.child("link").attribute("href").as_string()).find("/?q=TENS%20for%20chronic") !=
        std::string::npos);

  // Entry ids are stable from one reading to the next; a revision's ETag gives 304.
  const auto again = client.Get(path.c_str());
  REQUIRE(again);
  CHECK(again->body == res->body);
  const auto not_modified = client.Get(path.c_str(), {{"If-None-Match", res->get_header_value("ETag")}});
  REQUIRE(not_modified);
  CHECK(not_modified->status == 304);

  // Another question follows neither the TENS records nor the TENS conclusion.
  const auto other = client.Get("/api/feed?q=massage");
  REQUIRE(other);
  REQUIRE(other->status == 200);
  pugi::xml_document other_doc;
  REQUIRE(other_doc.load_string(other->body.c_str()));
  check_atom(other_doc);
  CHECK(other->body.find("99000021") == std::string::npos);
  CHECK_FALSE(entry_titled(other_doc, "Conclusion changed"));

  // Bad parameters are the search's: a JSON error.
  const auto bad = client.Get("/api/feed?q=x&design=anecdote");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["error"]["code"] == "bad_parameter");
}
