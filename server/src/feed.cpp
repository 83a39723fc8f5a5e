#include "evidence/feed.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "evidence/appraisal.hpp"
#include "evidence/params.hpp"
#include "evidence/url.hpp"

namespace evidence {

namespace {

constexpr const char* atom_ns = "http://www.w3.org/2005/Atom";
constexpr const char* xhtml_ns = "http://www.w3.org/1999/xhtml";
// The authority of the tag URIs (RFC 4151): the project's name; ids only have to be unique and
// stable, and the run UUID inside makes them so wherever the server runs.
constexpr const char* tag_authority = "backpain-evidence";
// Before any run was logged; Atom requires an updated time.
constexpr const char* epoch = "1970-01-01T00:00:00Z";

// "2026-12-01" of "2026-12-01T05:00:00Z"; the tag date must be a valid date.
std::string tag_date(const std::string& at) {
  if (at.size() >= 10 && at[4] == '-' && at[7] == '-') return at.substr(0, 10);
  return "2026-01-01";
}

std::string tag_id(const IndexChanges& run, const std::string& specific) {
  return std::string("tag:") + tag_authority + "," + tag_date(run.at) + ":run/" + run.id + "/" + specific;
}

std::string concept_label(const Vocabulary& v, const std::string& id) {
  const Concept* c = v.find(id);
  return c ? c->preferred : id;
}

std::string words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// "TENS vs placebo or sham: pain, short term (chronic low back pain)" from a finding key,
// intervention|comparator|outcome|time point|direct:population:duration.
std::string finding_title(const std::string& key, const Vocabulary& v) {
  const auto parts = split(key, '|');
  if (parts.size() < 4) return key;
  std::string comparator;
  for (const auto& kind : split(parts[1], '+'))
    comparator += (comparator.empty() ? "" : " plus ") +
                  (comparator.empty()
                       ? std::string(comparator_clinical(parse_comparator_kind(kind).value_or(ComparatorKind::mixed)))
                       : concept_label(v, kind));
  std::string title =
      concept_label(v, parts[0]) + " vs " + comparator + ": " + words(parts[2]) + ", " + words(parts[3]) + " term";
  if (parts.size() >= 5) {
    const auto pop = split(parts[4], ':');  // direct|indirect, group, duration
    if (pop.size() >= 2) {
      std::string group = concept_label(v, pop[1]);
      // "chronic low back pain", but "chronic LBP" stays as written.
      if (pop.size() >= 3 && !pop[2].empty() && group.size() > 1 &&
          std::isupper(static_cast<unsigned char>(group[0])) && std::islower(static_cast<unsigned char>(group[1])))
        group[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(group[0])));
      std::string who = (pop.size() >= 3 && !pop[2].empty() ? pop[2] + " " : "") + group;
      title += " (" + words(who) + (pop[0] == "indirect" ? ", indirect" : "") + ")";
    }
  }
  return title;
}

std::string study_summary(const Study& s) {
  std::string out = design_label(s.design);
  if (s.year > 0) out += ", " + std::to_string(s.year);
  if (!s.journal.empty()) out += ", " + s.journal;
  if (!s.authors.empty()) out += ". " + s.authors.front() + (s.authors.size() > 1 ? " et al." : "");
  return out + ".";
}

void add_record_entries(const IndexChanges& run, const std::map<std::string, const Study*>& matching,
                        std::vector<FeedInput::Entry>& out) {
  const std::set<std::string> retracted(run.retracted.begin(), run.retracted.end());
  const std::pair<const std::vector<std::string>*, const char*> lists[] = {{&run.added, "New study"},
                                                                           {&run.updated, "Updated study"}};
  for (const auto& [ids, what] : lists) {
    for (const auto& id : *ids) {
      const auto it = matching.find(id);
      if (it == matching.end()) continue;
      const Study& s = *it->second;
      const bool was_retracted = retracted.count(id) > 0;
      FeedInput::Entry e;
      e.id = tag_id(run, "record/" + percent_encode(id));
      e.title = std::string(was_retracted ? "Retracted" : what) + ": " + s.title;
      e.updated = run.at;
      e.link_path = "/?study=" + percent_encode(id);
      e.summary = study_summary(s) +
                  (was_retracted ? " The publication has been retracted; it no longer counts in graded answers." : "");
      out.push_back(std::move(e));
    }
  }
}

void add_conclusion_entries(const IndexChanges& run, const std::set<std::string>& treatments,
                            const std::string& question_path, const Vocabulary& v, std::vector<FeedInput::Entry>& out) {
  for (const auto& c : run.conclusions) {
    const std::string intervention = c.key.substr(0, c.key.find('|'));
    if (!treatments.count(intervention)) continue;
    FeedInput::Entry e;
    e.id = tag_id(run, "conclusion/" + percent_encode(c.key));
    const char* what = c.before.empty()  ? "New conclusion"
                       : c.after.empty() ? "Conclusion withdrawn"
                                         : "Conclusion changed";
    e.title = std::string(what) + ": " + finding_title(c.key, v);
    e.updated = run.at;
    e.link_path = question_path;
    const std::string before = c.before.empty() ? "" : (c.before_sentence.empty() ? c.before : c.before_sentence);
    const std::string after = c.after.empty() ? "" : (c.after_sentence.empty() ? c.after : c.after_sentence);
    if (!before.empty()) e.paragraphs.push_back({"Before", before});
    if (!after.empty())
      e.paragraphs.push_back({"Now", after});
    else
      e.paragraphs.push_back(
          {"Now", "No graded conclusion: the records behind it were retracted, removed or changed."});
    e.summary =
        (before.empty() ? "" : "Before: " + before + " ") + "Now: " + (after.empty() ? "no graded conclusion." : after);
    out.push_back(std::move(e));
  }
}

void add_text(pugi::xml_node parent, const char* name, const std::string& text) {
  parent.append_child(name).text().set(text.c_str());
}

void add_link(pugi::xml_node parent, const char* rel, const std::string& href, const char* type = nullptr) {
  pugi::xml_node link = parent.append_child("link");
  link.append_attribute("rel") = rel;
  if (type) link.append_attribute("type") = type;
  link.append_attribute("href") = href.c_str();
}

// The Host the client asked for, when it is a plain host[:port]; links must not carry whatever a
// client put in the header.
std::string base_url(const httplib::Request& req) {
  std::string host = req.get_header_value("Host");
  const bool plain = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
           ch == ']';
  });
  if (!plain) host = "localhost";
  const std::string proto = req.get_header_value("X-Forwarded-Proto") == "https" ? "https" : "http";
  return proto + "://" + host;
}

// The concepts whose conclusions a question follows: the treatments it names (in words, in
// field syntax or as filters) and everything below them.
std::vector<std::string> followed_treatments(const SearchRequest& request, const Vocabulary& v) {
  const Question q = parse_question(request.q, v);
  std::set<std::string> out;
  for (const auto* list : {&q.interventions, &q.filter_interventions, &request.interventions})
    for (const auto& id : *list)
      for (const auto& d : v.descendants(id)) out.insert(d);
  return {out.begin(), out.end()};
}

}  // namespace

std::string atom_feed(const FeedInput& f) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "utf-8";
  pugi::xml_node feed = doc.append_child("feed");
  feed.append_attribute("xmlns") = atom_ns;
  add_text(feed, "id", std::string("tag:") + tag_authority + ",2026:feed" + percent_encode(f.self_path));
  add_text(feed, "title", "Back-pain evidence: " + (f.question.empty() ? std::string("all questions") : f.question));
  add_text(feed, "subtitle",
           "New and updated studies that match this question, and its graded conclusions that changed.");
  add_text(feed, "updated", f.updated);
  add_text(feed.append_child("author"), "name", "backpain-evidence");
  add_link(feed, "self", f.base_url + f.self_path, "application/atom+xml");
  add_link(feed, "alternate", f.base_url + f.question_path, "text/html");
  pugi::xml_node generator = feed.append_child("generator");
  generator.text().set("backpain-evidence evidence-server");
  for (const auto& e : f.entries) {
    pugi::xml_node entry = feed.append_child("entry");
    add_text(entry, "id", e.id);
    add_text(entry, "title", e.title);
    add_text(entry, "updated", e.updated);
    add_link(entry, "alternate", f.base_url + e.link_path, "text/html");
    add_text(entry, "summary", e.summary);
    if (!e.paragraphs.empty()) {
      pugi::xml_node content = entry.append_child("content");
      content.append_attribute("type") = "xhtml";
      pugi::xml_node div = content.append_child("div");
      div.append_attribute("xmlns") = xhtml_ns;
      // Text only in each paragraph: pugixml would indent mixed content, adding spaces.
      for (const auto& [label, text] : e.paragraphs) add_text(div, "p", label + ": " + text);
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::vector<FeedInput::Entry> feed_entries(const std::vector<IndexChanges>& log, const std::vector<Study>& matching,
                                           const std::vector<std::string>& treatments, const std::string& question_path,
                                           const Vocabulary& v) {
  std::map<std::string, const Study*> by_id;
  for (const auto& s : matching) by_id.emplace(s.id, &s);
  const std::set<std::string> followed(treatments.begin(), treatments.end());
  std::vector<FeedInput::Entry> out;
  // Newest run first; a record changed in two runs appears for each, as each is news.
  for (auto run = log.rbegin(); run != log.rend() && out.size() < max_feed_entries; ++run) {
    add_conclusion_entries(*run, followed, question_path, v, out);
    add_record_entries(*run, by_id, out);
  }
  if (out.size() > max_feed_entries) out.resize(max_feed_entries);
  return out;
}

void get_feed(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  ApiSearchRequest request = parse_search_request(req.params, ctx.vocabulary);
  IndexReader& reader = ctx.reader();
  const std::string revision = reader.revision();
  const std::string base = base_url(req);
  const std::string tag =
      "\"feed-" + revision + "-" + std::to_string(std::hash<std::string>{}(base + "\n" + req.target)) + "\"";
  res.set_header("ETag", tag);
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == tag) {
    res.status = 304;
    return;
  }
  const std::vector<IndexChanges> log = reader.change_log();

  // Which of the records the runs added or updated match the question: the search itself,
  // restricted to them (retracted ones included: their retraction is the news).
  std::set<std::string> ids;
  for (const auto& run : log) {
    ids.insert(run.added.begin(), run.added.end());
    ids.insert(run.updated.begin(), run.updated.end());
  }
  std::vector<Study> matching;
  if (!ids.empty()) {
    SearchRequest only = request.search;
    only.only_ids.assign(ids.begin(), ids.end());
    only.include_retracted = true;
    matching = search_all(reader, ctx.vocabulary, only, ids.size());
  }

  FeedInput feed;
  feed.base_url = base;
  feed.self_path = req.target;
  feed.question = request.search.q;
  feed.question_path = "/?q=" + percent_encode(request.search.q);
  feed.entries = feed_entries(log, matching, followed_treatments(request.search, ctx.vocabulary), feed.question_path,
                              ctx.vocabulary);
  feed.updated = !feed.entries.empty() ? feed.entries.front().updated : !log.empty() ? log.back().at : epoch;
  res.set_content(atom_feed(feed), "application/atom+xml; charset=utf-8");
}

}  // namespace evidence
