// evidence-index: reads study records and writes the annotated Xapian index.
// The one translation point from exceptions to exit codes for the indexer.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <unistd.h>

#include "evidence/data_dir.hpp"
#include "evidence/draft.hpp"
#include "evidence/errors.hpp"
#include "evidence/index.hpp"
#include "evidence/index_run.hpp"

namespace {

struct CommandLine {
  evidence::RunOptions options;
  std::string report_file;
  bool quiet = false;
  std::string draft_id;  // --draft: write a curator's draft of this record instead of indexing
  std::string draft_out;
  bool rollback = false;
  std::size_t show_changes = 0;  // print the newest N entries of the change log, index nothing
  std::size_t max_input_mb = evidence::default_max_input_bytes >> 20;
};

// "i/n" (checked by the parser) into the run's shard.
void set_shard(const std::string& shard, evidence::RunOptions& opt) {
  const auto slash = shard.find('/');
  opt.shard_index = std::stoul(shard.substr(0, slash));
  opt.shard_count = std::stoul(shard.substr(slash + 1));
}

// The exit code when there is nothing to run (--help, or a usage error after its message).
std::optional<int> parse_command_line(int argc, char** argv, CommandLine& cl) {
  evidence::RunOptions& opt = cl.options;
  CLI::App app{
      "evidence-index: index back-pain study records (curated JSON, PubMed XML, ClinicalTrials.gov API v2 JSON)\n"
      "into a Xapian index. Formats are detected from the content; directories are walked.\n\n"
      "Example:\n  evidence-index --db var/index --report var/report.json corpus/ ../shared/data/pubmed_xml\n"
      "  evidence-index --db var/index --draft 20163739 --out drafts/20163739.json   (a curator's draft)\n\n"
      "Maintenance (no PATHs): --changes N prints what the last N runs changed; --rollback points\n"
      "the index back to its previous generation (kept by --rebuild and --keep-previous runs).\n\n"
      "Exit codes: 0 every record indexed; 1 some records skipped (the rest committed); 2 nothing done.\n"
      "With --draft: 0 draft written; 1 written but not valid against the schema (issues on stderr); 2 no draft.\n\n"
      "Data folder (schema, vocabulary, curated corpus): " +
      evidence::data_dir().string()};
  app.add_option("--db", opt.db, "index directory (created when missing)")->required();
  app.add_option("--report", cl.report_file, "write a JSON report of the run to this file");
  app.add_flag("--strict", opt.strict, "fail the whole run (commit nothing) if any record is bad");
  app.add_flag("--rebuild", opt.rebuild, "build a fresh index beside the live one and swap it in at the end");
  app.add_flag("--keep-previous", opt.keep_previous,
               "write into a copy of the live generation and swap it in, keeping the live one for --rollback");
  app.add_flag("--rollback", cl.rollback,
               "point the index back to its previous generation and exit (undoes the last --rebuild or "
               "--keep-previous run)");
  app.add_option("--changes", cl.show_changes, "print what the last N runs changed (the index's change log) and exit")
      ->check(CLI::Range(1, 50));
  app.add_option("--schema", opt.schema_file, "study schema (default: schema/study.schema.json of the data folder)");
  app.add_option("--vocabulary", opt.vocabulary_file,
                 "vocabulary (default: schema/vocabulary.json of the data folder)");
  app.add_flag("-q,--quiet", cl.quiet, "print only the summary");
  app.add_option("--max-input-mb", cl.max_input_mb,
                 "the most one input file may hold, decompressed, in MiB; a larger one is skipped with a report")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--threads", opt.threads,
                 "threads for reading, annotation and document building (default: one per core)");
  std::string shard;
  app.add_option("--shard", shard,
                 "build shard i of n (i/n, e.g. 0/2): only records whose id hashes to it; see docs/SCALING.md")
      ->check([](const std::string& v) {
        const auto slash = v.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == v.size())
          return std::string("expected i/n, e.g. 0/2");
        return std::string();
      });
  auto* paths = app.add_option("paths", opt.inputs, "files or directories to index (not with --draft)");
  auto* draft = app.add_option("--draft", cl.draft_id,
                               "write a curated JSON draft of the indexed record with this PMID, NCT id, DOI, PMCID "
                               "or record id, every field marked unverified (docs/CURATING.md); indexes nothing")
                    ->excludes(paths);
  app.add_option("--out", cl.draft_out, "with --draft: the file to write (default: standard output)")->needs(draft);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!shard.empty()) set_shard(shard, opt);
  opt.max_input_bytes = cl.max_input_mb << 20;
  const bool maintenance = cl.rollback || cl.show_changes > 0;
  if (maintenance && !cl.draft_id.empty()) {
    std::fprintf(stderr, "evidence-index: --draft, --rollback and --changes are separate commands\n");
    return 2;
  }
  if (!cl.draft_id.empty()) return std::nullopt;  // CLI11 already refused --draft with PATHs
  if (maintenance == !opt.inputs.empty()) {
    std::fprintf(stderr, "evidence-index: %s\nRun with --help for more information.\n",
                 maintenance ? "--rollback and --changes take no PATHs" : "paths is required");
    return 2;
  }
  if (cl.rollback && cl.show_changes > 0) {
    std::fprintf(stderr, "evidence-index: --rollback and --changes are separate commands\n");
    return 2;
  }
  return std::nullopt;
}

// The progress line on a terminal: records done, the rate since `start`, and the time left.
std::function<void(std::size_t, std::size_t)> progress_line(std::chrono::steady_clock::time_point start) {
  return [start](std::size_t done, std::size_t total) {
    if (done % 50 != 0 && done != total) return;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    std::fprintf(stderr, "\r%zu/%zu records  %.0f records/s  %.0fs left   ", done, total, rate, left);
    if (done == total) std::fprintf(stderr, "\n");
  };
}

// At most 20 of the changed conclusions; the report file has them all.
void print_changed_conclusions(const evidence::RunReport& rep) {
  if (rep.changed_conclusions.empty()) return;
  std::printf("graded conclusions changed: %zu\n", rep.changed_conclusions.size());
  std::size_t shown = 0;
  for (const auto& c : rep.changed_conclusions) {
    if (++shown > 20) {
      std::printf("  ... (see --report for all)\n");
      break;
    }
    std::printf("  %s: %s -> %s\n", c.key.c_str(), c.before.empty() ? "(new)" : c.before.c_str(),
                c.after.empty() ? "(gone)" : c.after.c_str());
  }
}

// Skipped records on stderr; counts, annotation coverage and changed conclusions on stdout.
void print_summary(const evidence::RunReport& rep, const evidence::RunOptions& opt) {
  for (const auto& p : rep.problems) std::fprintf(stderr, "skipped: %s\n", p.to_string().c_str());
  std::printf(
      "%s: %zu files, %zu records read: %zu added, %zu updated, %zu unchanged, %zu merged, %zu deleted, %zu skipped "
      "(%.1fs)\n",
      rep.committed ? "indexed" : "NOT COMMITTED (strict mode: bad records)", rep.files, rep.records_read, rep.added,
      rep.updated, rep.unchanged, rep.merged, rep.deleted, rep.skipped, rep.seconds);
  if (rep.other_shard > 0)
    std::printf("shard %zu/%zu: %zu records belong to other shards\n", opt.shard_index, opt.shard_count,
                rep.other_shard);
  for (const auto& [src, c] : rep.coverage)
    std::printf(
        "annotated %s: %zu records; intervention %zu, condition %zu, design %zu, outcome %zu, result direction %zu\n",
        src.c_str(), c.records, c.intervention, c.condition, c.design, c.outcome, c.direction);
  print_changed_conclusions(rep);
}

// A few ids of a list, then how many more.
std::string some_ids(const std::vector<std::string>& ids, std::size_t total) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 8; ++i) out += (i ? ", " : "") + ids[i];
  if (total > std::min<std::size_t>(ids.size(), 8))
    out += " and " + std::to_string(total - std::min<std::size_t>(ids.size(), 8)) + " more";
  return out;
}

// The newest `count` entries of the change log, oldest first, as scripts/update shows them.
void print_change_log(const std::filesystem::path& db, std::size_t count) {
  const std::vector<evidence::IndexChanges> log = evidence::IndexReader(db).change_log();
  if (log.empty()) {
    std::printf("no changes recorded in %s\n", db.c_str());
    return;
  }
  for (std::size_t i = log.size() > count ? log.size() - count : 0; i < log.size(); ++i) {
    const auto& c = log[i];
    std::printf("run %llu at %s%s: %zu added, %zu updated, %zu deleted, %zu retracted, %zu conclusions changed\n",
                static_cast<unsigned long long>(c.number), c.at.c_str(), c.fresh ? " (fresh index)" : "", c.added_count,
                c.updated_count, c.deleted_count, c.retracted_count, c.conclusions.size());
    const std::pair<const char*, std::pair<const std::vector<std::string>*, std::size_t>> lists[] = {
        {"added", {&c.added, c.added_count}},
        {"updated", {&c.updated, c.updated_count}},
        {"deleted", {&c.deleted, c.deleted_count}},
        {"retracted", {&c.retracted, c.retracted_count}}};
    for (const auto& [name, list] : lists)
      if (!list.first->empty()) std::printf("  %s: %s\n", name, some_ids(*list.first, list.second).c_str());
    for (const auto& k : c.conclusions) {
      std::printf("  conclusion %s: %s -> %s\n", k.key.c_str(), k.before.empty() ? "(new)" : k.before.c_str(),
                  k.after.empty() ? "(gone)" : k.after.c_str());
      if (!k.after_sentence.empty()) std::printf("    now: %s\n", k.after_sentence.c_str());
    }
  }
}

void write_report(const std::string& file, const evidence::RunReport& rep) {
  std::ofstream out(file);
  out << rep.to_json().dump(2) << "\n";
  if (!out) throw evidence::Error(evidence::ErrorCode::io_error, "cannot write report " + file);
}

// --draft: the draft to --out (or stdout), what it holds on stderr.
int write_draft(const CommandLine& cl) {
  const evidence::DraftRun run =
      evidence::draft_from_index(cl.options.db, cl.draft_id, cl.options.schema_file, cl.options.vocabulary_file);
  const std::string text = run.record.dump(2) + "\n";
  if (cl.draft_out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::ofstream out(cl.draft_out);
    out << text;
    if (!out) throw evidence::Error(evidence::ErrorCode::io_error, "cannot write draft " + cl.draft_out);
  }
  for (const auto& i : run.issues)
    std::fprintf(stderr, "draft not valid: %s: %s\n", i.pointer.c_str(), i.message.c_str());
  std::fprintf(stderr,
               "draft of %s%s%s: %zu effects with 95%% CIs, participants %s, %zu follow-up times; %zu fields "
               "unverified\n",
               run.record_id.c_str(), cl.draft_out.empty() ? "" : " written to ", cl.draft_out.c_str(), run.effects,
               run.participants ? "found" : "not found", run.follow_ups, run.draft.provenance.unverified.size());
  return run.issues.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  evidence::exit_on_failed_index_write("evidence-index");
  CommandLine cl;
  if (const auto rc = parse_command_line(argc, argv, cl)) return *rc;
  if (!cl.draft_id.empty()) return write_draft(cl);
  if (cl.show_changes > 0) {
    print_change_log(cl.options.db, cl.show_changes);
    return 0;
  }
  if (cl.rollback) {
    const evidence::Rollback r = evidence::rollback_generation(cl.options.db);
    std::printf("rolled back %s from %s to %s (%s stays on disk until the next --rebuild or --keep-previous run)\n",
                cl.options.db.c_str(), r.from.c_str(), r.to.c_str(), r.from.c_str());
    return 0;
  }
  if (isatty(STDERR_FILENO) && !cl.quiet) cl.options.progress = progress_line(std::chrono::steady_clock::now());
  const evidence::RunReport rep = evidence::run_index(cl.options);
  print_summary(rep, cl.options);
  if (!cl.report_file.empty()) write_report(cl.report_file, rep);
  return rep.exit_code();
} catch (const evidence::Error& e) {
  std::fprintf(stderr, "evidence-index: %s (%s)\n", e.what(), evidence::error_code_name(e.code()));
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "evidence-index: unexpected error: %s\n", e.what());
  return 2;
}
