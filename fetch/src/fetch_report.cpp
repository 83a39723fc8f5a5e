#include <string>

#include "evidence/fetch.hpp"

namespace evidence {

namespace {
std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

std::string FetchReport::to_text() const {
  const bool pubmed = source == "pubmed";
  const std::string part = pubmed ? "batch" : "page", parts_word = pubmed ? "batches" : "pages";
  std::string s = std::string(pubmed ? "PubMed" : "ClinicalTrials.gov") + ", " +
                  (pubmed ? "entered " : "last updated ") + since + " to " + until + ": " +
                  (count >= 0 ? plural(static_cast<std::size_t>(count), "record", "records")
                              : std::string("the service gave no count")) +
                  "\n";
  if (up_to_date)
    return std::string(pubmed ? "PubMed" : "ClinicalTrials.gov") + ": nothing to fetch: the last run into " +
           state_file.parent_path().string() + " fetched up to yesterday\n";
  const std::string done_before =
      parts_done_before ? " (" + std::to_string(parts_done_before) + " done by an earlier run)" : std::string();
  if (dry_run) {
    s += "plan: " + (parts ? plural(parts, part, parts_word) : std::string("pages until the last one")) + done_before +
         ", " + plural(files.size(), "file", "files") + " to write into " + state_file.parent_path().string() +
         (files.size() > 0 ? ":" : "") + "\n";
    for (const auto& f : files) s += "  " + f.filename().string() + "\n";
    s += "dry run: nothing written\n";
    return s;
  }
  s += (resumed ? "resumed: " : "fetched: ") + plural(files.size(), "file", "files") + " written (" +
       plural(records_written, "record", "records") + ")" + done_before + "; " +
       plural(requests, "request", "requests") + ", " + plural(retries, "retry", "retries") + "\n";
  for (const auto& f : files) s += "  " + f.string() + "\n";
  s += "state: " + state_file.string() + "\n";
  return s;
}

}  // namespace evidence
