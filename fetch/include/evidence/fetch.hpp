#pragma once
// Fetching new records into a folder that evidence-index reads: PubMed through NCBI E-utilities
// (esearch on the history server, then efetch in batches) and ClinicalTrials.gov through API v2
// (/studies, pageToken paging), each over a window of dates [since, until].
//
// What a run guarantees about the output folder (docs/FETCHING.md):
//   - every file in it is a complete answer that parsed (a PubmedArticleSet; a {"studies": [...]}
//     page): it is written under a hidden temporary name and renamed only once whole;
//   - a state file (.fetch-pubmed.json, .fetch-ctgov.json; hidden, so the indexer skips it)
//     records the window and what of it is done, so a re-run after a failure goes on where it
//     stopped and a run after a finished window starts where that one ended;
//   - a dry run writes nothing, not even the folder.
//
// fetch_pubmed() and fetch_ctgov() throw evidence::Error:
//   invalid_argument    bad options (a date that is not YYYY-MM-DD, since after until, no
//                       --since on the first run), or a state file of another query or unreadable;
//   io_error            the folder or a file in it cannot be written;
//   remote_unavailable,
//   remote_bad_answer   see polite_client.hpp; batches finished before stay written and recorded.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "evidence/polite_client.hpp"

namespace evidence {

constexpr const char* default_eutils_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils";
constexpr const char* default_ctgov_url = "https://clinicaltrials.gov/api/v2";

// NCBI's documented limits: 3 requests a second without an API key, 10 with one.
constexpr double eutils_rate_without_key = 3;
constexpr double eutils_rate_with_key = 10;
// ClinicalTrials.gov asks for about 50 requests a minute per address.
constexpr double ctgov_rate = 50.0 / 60.0;

struct FetchWindow {
  std::string query;
  std::string since;  // YYYY-MM-DD, inclusive; "" = the day after the last finished window
  std::string until;  // YYYY-MM-DD, inclusive; "" = yesterday (UTC), the last whole day
  std::filesystem::path out;
  bool dry_run = false;
};

struct PubmedOptions {
  FetchWindow window;
  std::string api_key;                     // NCBI API key ("" = none: 3 requests a second)
  std::string email;                       // contact address NCBI asks every tool for
  std::string tool = "backpain-evidence";  // the tool name NCBI asks for
  std::size_t batch_size = 200;            // records per efetch request and per file (1..10000)
  // The date the window applies to: "edat" (entered into PubMed: each record once), "mdat"
  // (last modified: also records revised or retracted since) or "pdat" (published).
  std::string date_type = "edat";
  ClientOptions client{default_eutils_url, eutils_rate_without_key, {}, "backpain-evidence evidence-fetch", {}};
  // The request rate: 0 = NCBI's documented one for a run with or without an API key.
  double rate = 0;
};

struct CtgovOptions {
  FetchWindow window;
  std::size_t page_size = 100;  // studies per page and per file (1..1000)
  ClientOptions client{default_ctgov_url, ctgov_rate, {}, "backpain-evidence evidence-fetch", {}};
};

struct FetchReport {
  std::string source;        // "pubmed" or "ctgov"
  std::string since, until;  // the window fetched
  bool resumed = false;      // the window was begun by an earlier run
  bool up_to_date = false;   // the last run already fetched up to yesterday: nothing was asked
  bool dry_run = false;
  long long count = -1;                      // records the service has in the window; -1 = it did not say
  std::size_t parts = 0;                     // batches (PubMed) or pages (ClinicalTrials.gov) in the plan
  std::size_t parts_done_before = 0;         // of those, finished by earlier runs
  std::size_t records_written = 0;           // records in the files this run wrote
  std::vector<std::filesystem::path> files;  // written by this run (a dry run: the ones it would write)
  std::size_t requests = 0, retries = 0;
  std::filesystem::path state_file;

  // The dry run's plan, or the run's summary, as lines for a terminal.
  std::string to_text() const;
};

FetchReport fetch_pubmed(const PubmedOptions& options, const FetchLog& log = {});
FetchReport fetch_ctgov(const CtgovOptions& options, const FetchLog& log = {});

}  // namespace evidence
