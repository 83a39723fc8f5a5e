#pragma once
// The Atom feed (RFC 4287) of a saved question, GET /api/feed: what the index's recent runs
// (its change log, change_log.hpp) changed that a follower of the question should know about:
//   - records the runs added or updated (retracted ones too) that match the question, each
//     linked to its study page (/?study=ID);
//   - graded conclusions about the question's treatments that changed, with the clinician
//     sentence before and after, linked to the question's page.
// A run that wrote a fresh index (a first run, a rebuild) lists no records, only conclusions.
//
// Entry ids are tag URIs (RFC 4151) made of the run's own UUID and the record id or finding key,
// so an entry keeps its id however often the feed is read, and a run after a rollback never
// reuses one. The XML is written by pugixml, which escapes all text.
//
// get_feed() throws evidence::Error like every handler: a bad parameter is 400 bad_parameter (the
// parameters of /api/search), an unavailable index 503.
#include <httplib.h>

#include <string>
#include <vector>

#include "evidence/change_log.hpp"
#include "evidence/context.hpp"
#include "evidence/search.hpp"

namespace evidence {

// The most entries a feed carries, newest first.
inline constexpr std::size_t max_feed_entries = 100;

// What a feed is made of; atom_feed() only formats it.
struct FeedInput {
  std::string base_url;       // "http://host:port", no trailing slash
  std::string self_path;      // the request target, "/api/feed?q=..."
  std::string question;       // q as asked
  std::string question_path;  // the question's page, "/?q=..."
  std::string updated;        // the feed's updated time (RFC 3339)
  struct Entry {
    std::string id, title, updated, link_path, summary;
    std::vector<std::pair<std::string, std::string>> paragraphs;  // content: (label, text)
  };
  std::vector<Entry> entries;  // newest first
};

// The feed document, UTF-8, with the XML declaration.
std::string atom_feed(const FeedInput& feed);

// The feed's entries for a question over a change log (oldest first), newest first and at most
// max_feed_entries. `matching` holds the studies of the log's records that match the question;
// `treatments` the concept ids whose conclusions count (the question's treatments and their
// descendants).
std::vector<FeedInput::Entry> feed_entries(const std::vector<IndexChanges>& log, const std::vector<Study>& matching,
                                           const std::vector<std::string>& treatments, const std::string& question_path,
                                           const Vocabulary& vocabulary);

// GET /api/feed: the parameters of /api/search (q and the filters; paging is not read).
// application/atom+xml; an ETag tied to the index revision and the URL (304 for If-None-Match).
void get_feed(ApiContext& context, const httplib::Request& request, httplib::Response& response);

}  // namespace evidence
