// evidence-fetch: fetches new PubMed and ClinicalTrials.gov records into a folder for
// evidence-index. The one translation point from exceptions to exit codes for the fetcher.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "evidence/errors.hpp"
#include "evidence/fetch.hpp"

namespace {

std::string env_or(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

// Exit codes (stable; docs/FETCHING.md).
constexpr int exit_done = 0;
constexpr int exit_usage_or_local = 2;  // bad arguments, an unusable state file, the folder not writable
constexpr int exit_remote = 3;          // the service failed after retries; finished batches are kept

int exit_code_of(evidence::ErrorCode code) {
  switch (code) {
    case evidence::ErrorCode::remote_unavailable:
    case evidence::ErrorCode::remote_bad_answer: return exit_remote;
    default: return exit_usage_or_local;
  }
}

struct Common {
  evidence::FetchWindow window;
  std::string base_url;
  double rate = 0;
  int attempts = 5;
  double backoff = 1, max_wait = 60;
  bool quiet = false;
  std::string ca_file;
};

void add_common(CLI::App& sub, Common& c, const std::string& since_what) {
  sub.add_option("--query", c.window.query, "the search, in the service's own syntax")->required();
  sub.add_option("--since", c.window.since,
                 since_what +
                     " on or after this date (YYYY-MM-DD); default: where the last finished run into --out "
                     "ended");
  sub.add_option("--until", c.window.until, "... and on or before this date (default: today, UTC)");
  sub.add_option("--out", c.window.out, "folder for the files and the state file (created when missing)")->required();
  sub.add_flag("--dry-run", c.window.dry_run, "print the count and the plan (batches, files); write nothing");
  sub.add_option("--rate", c.rate, "requests per second (default: the service's documented limit)")
      ->check(CLI::PositiveNumber);
  sub.add_option("--attempts", c.attempts, "attempts per request before giving up, the first included")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub.add_option("--backoff", c.backoff, "seconds before the first retry, doubled for each next one")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub.add_option("--max-wait", c.max_wait,
                 "longest wait between attempts in seconds (a longer Retry-After gives up at once)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub.add_flag("-q,--quiet", c.quiet, "no progress or retry lines on stderr");
  sub.add_option("--ca-file", c.ca_file,
                 "PEM file of certificate authorities to trust for https instead of the system's (a proxy's CA)");
}

void apply_common(const Common& c, evidence::ClientOptions& client) {
  if (!c.base_url.empty()) client.base_url = c.base_url;
  client.ca_file = c.ca_file;
  client.retry.max_attempts = c.attempts;
  client.retry.initial_backoff = std::chrono::milliseconds(static_cast<long long>(c.backoff * 1000));
  client.retry.max_backoff = std::chrono::milliseconds(static_cast<long long>(c.max_wait * 1000));
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{
      "evidence-fetch: fetch new PubMed and ClinicalTrials.gov records into a folder for evidence-index.\n"
      "Every file in --out is a whole answer that parsed; a state file there lets a re-run resume.\n\n"
      "Examples:\n"
      "  evidence-fetch pubmed --query '\"low back pain\"[MeSH] AND randomized controlled trial[pt]' \\\n"
      "      --since 2026-11-01 --out var/fetch/pubmed\n"
      "  evidence-fetch ctgov --query 'low back pain' --since 2026-11-01 --out var/fetch/ctgov\n\n"
      "Exit codes: 0 done; 2 bad arguments or a local error (nothing fetched past it);\n"
      "3 the service kept failing (finished batches are kept: run again to resume)."};
  app.require_subcommand(1);

  Common pc;
  evidence::PubmedOptions pubmed;
  pubmed.api_key = env_or("NCBI_API_KEY", "");
  pubmed.email = env_or("NCBI_EMAIL", "");
  pc.base_url = env_or("EVIDENCE_EUTILS_URL", evidence::default_eutils_url);
  CLI::App* pm = app.add_subcommand("pubmed", "PubMed through NCBI E-utilities (esearch + efetch, history server)");
  add_common(*pm, pc, "records entered into PubMed");
  pm->add_option("--api-key", pubmed.api_key, "NCBI API key (env NCBI_API_KEY): 10 requests/s instead of 3");
  pm->add_option("--email", pubmed.email, "contact e-mail NCBI asks every tool for (env NCBI_EMAIL)");
  pm->add_option("--tool", pubmed.tool, "tool name sent to NCBI")->capture_default_str();
  pm->add_option("--batch-size", pubmed.batch_size, "records per efetch request and per file (1..10000)")
      ->capture_default_str();
  pm->add_option("--date-type", pubmed.date_type,
                 "the date of the window: edat (entered), mdat (modified: also revised and retracted records), "
                 "pdat (published)")
      ->check(CLI::IsMember({"edat", "mdat", "pdat"}))
      ->capture_default_str();
  pm->add_option("--base-url", pc.base_url, "E-utilities base URL (env EVIDENCE_EUTILS_URL)")->capture_default_str();

  Common cc;
  evidence::CtgovOptions ctgov;
  cc.base_url = env_or("EVIDENCE_CTGOV_URL", evidence::default_ctgov_url);
  CLI::App* ct = app.add_subcommand("ctgov", "ClinicalTrials.gov API v2 (/studies, pageToken paging)");
  add_common(*ct, cc, "studies whose last update was posted");
  ct->add_option("--page-size", ctgov.page_size, "studies per page and per file (1..1000)")->capture_default_str();
  ct->add_option("--base-url", cc.base_url, "API v2 base URL (env EVIDENCE_CTGOV_URL)")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_done : exit_usage_or_local;
  }

  const bool is_pubmed = pm->parsed();
  const Common& c = is_pubmed ? pc : cc;
  const evidence::FetchLog log = [quiet = c.quiet](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "evidence-fetch: %s\n", line.c_str());
  };
  evidence::FetchReport rep;
  if (is_pubmed) {
    pubmed.window = pc.window;
    pubmed.rate = pc.rate;
    apply_common(pc, pubmed.client);
    if (pubmed.email.empty())
      log("no contact e-mail: NCBI asks every tool for one (--email or NCBI_EMAIL) and may block anonymous ones");
    rep = evidence::fetch_pubmed(pubmed, log);
  } else {
    ctgov.window = cc.window;
    if (cc.rate > 0) ctgov.client.requests_per_second = cc.rate;
    apply_common(cc, ctgov.client);
    rep = evidence::fetch_ctgov(ctgov, log);
  }
  std::fputs(rep.to_text().c_str(), stdout);
  return exit_done;
} catch (const evidence::Error& e) {
  std::fprintf(stderr, "evidence-fetch: %s (%s)\n", e.what(), evidence::error_code_name(e.code()));
  if (exit_code_of(e.code()) == exit_remote)
    std::fprintf(stderr, "evidence-fetch: files finished before this are kept; run again to resume\n");
  return exit_code_of(e.code());
} catch (const std::exception& e) {
  std::fprintf(stderr, "evidence-fetch: unexpected error: %s\n", e.what());
  return exit_usage_or_local;
}
