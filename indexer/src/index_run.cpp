#include "evidence/index_run.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "evidence/errors.hpp"
#include "evidence/fields.hpp"
#include "evidence/appraisal.hpp"
#include "evidence/index.hpp"
#include "evidence/synthesis.hpp"

namespace evidence {

namespace fs = std::filesystem;
using nlohmann::json;

json RunReport::to_json() const {
  json problems_j = json::array();
  for (const auto& p : problems)
    problems_j.push_back({{"file", p.file}, {"record", p.record}, {"field", p.field}, {"message", p.message}});
  json cov = json::object();
  for (const auto& [src, c] : coverage)
    cov[src] = {{"records", c.records}, {"with_intervention", c.intervention}, {"with_condition", c.condition},
                {"with_design", c.design}, {"with_outcome", c.outcome}, {"with_direction", c.direction}};
  json changes = json::array();
  for (const auto& c : changed_conclusions) changes.push_back({{"finding", c.key}, {"before", c.before}, {"after", c.after}});
  return {{"files", files},         {"records_read", records_read}, {"added", added},       {"updated", updated},
          {"unchanged", unchanged}, {"deleted", deleted},           {"skipped", skipped},   {"merged", merged},
          {"committed", committed}, {"seconds", seconds},           {"by_format", by_format}, {"retracted", retracted},
          {"problems", problems_j}, {"changed_conclusions", changes}, {"revision_before", revision_before},
          {"revision_after", revision_after}, {"exit_code", exit_code()}, {"annotation_coverage", cov},
          {"threads", threads}, {"other_shard", other_shard}, {"timings", timings}};
}

int RunReport::exit_code() const {
  if (!committed) return 2;
  return skipped > 0 ? 1 : 0;
}

namespace {
bool is_record_file_name(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".json" || ext == ".jsonl" || ext == ".ndjson" || ext == ".xml" || ext == ".gz";
}
}  // namespace

std::vector<fs::path> collect_input_files(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        // Inside directories only record-like files are read (README, LICENSE and scripts
        // sit beside exports); a file named explicitly is always read.
        if (it->is_regular_file() && is_record_file_name(it->path())) found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      throw Error(ErrorCode::invalid_argument, "input path does not exist or is not a file or directory: " + p.string());
    }
  }
  return files;
}

namespace {

int source_rank(const Study& s) {
  const auto& src = s.annotation.sources;
  if (std::find(src.begin(), src.end(), "curated") != src.end()) return 0;
  if (std::find(src.begin(), src.end(), "pubmed") != src.end()) return 1;
  return 2;
}

template <typename T>
void fill(T& into, const T& from) {
  if (into.empty()) into = from;
}

}  // namespace

void merge_study(Study& into, const Study& from) {
  fill(into.identifiers.pmid, from.identifiers.pmid);
  fill(into.identifiers.doi, from.identifiers.doi);
  fill(into.identifiers.nct, from.identifiers.nct);
  fill(into.identifiers.pmcid, from.identifiers.pmcid);
  for (const auto& o : from.identifiers.other)
    if (std::find(into.identifiers.other.begin(), into.identifiers.other.end(), o) == into.identifiers.other.end())
      into.identifiers.other.push_back(o);
  if (!into.authors_complete && from.authors.size() > into.authors.size()) {
    into.authors = from.authors;
    into.authors_complete = from.authors_complete;
  }
  fill(into.journal, from.journal);
  fill(into.language, from.language);
  fill(into.publication_types, from.publication_types);
  fill(into.abstract, from.abstract);
  if (from.retracted) into.retracted = true;
  auto& a = into.annotation;
  fill(a.mesh_terms, from.annotation.mesh_terms);
  fill(a.keywords, from.annotation.keywords);
  fill(a.status, from.annotation.status);
  for (const auto& s : from.annotation.sources)
    if (std::find(a.sources.begin(), a.sources.end(), s) == a.sources.end()) a.sources.push_back(s);
  for (const auto& f : from.annotation.files)
    if (std::find(a.files.begin(), a.files.end(), f) == a.files.end()) a.files.push_back(f);
  for (const auto& s : from.provenance.sources)
    if (std::find(into.provenance.sources.begin(), into.provenance.sources.end(), s) == into.provenance.sources.end())
      into.provenance.sources.push_back(s);
}

namespace {

// Runs f(i, worker) for i in [0, n) on `threads` threads (the caller's included); the first
// exception thrown by any call is rethrown here after every thread has stopped.
template <typename F>
void parallel_for(std::size_t n, unsigned threads, F&& f) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&](unsigned worker) {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        f(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads && w < n; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<std::string> identifier_keys(const Study& s) {
  std::vector<std::string> keys;
  for (const auto& [kind, value] : {std::pair{"pmid", s.identifiers.pmid}, std::pair{"doi", s.identifiers.doi}, std::pair{"nct", s.identifiers.nct}}) {
    if (value.empty()) continue;
    std::string key = std::string(kind) + ":" + value;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    keys.push_back(std::move(key));
  }
  return keys;
}

void count_coverage(RunReport& rep, const Study& s) {
  auto& c = rep.coverage[s.annotation.sources.empty() ? "unknown" : s.annotation.sources.front()];
  ++c.records;
  bool any_i = false, any_dir = false;
  for (const auto& a : s.interventions) any_i = any_i || !a.concepts.empty();
  for (const auto& o : s.outcomes) any_dir = any_dir || o.direction != "unclear";
  c.intervention += any_i ? 1u : 0u;
  c.condition += s.population.conditions.empty() ? 0u : 1u;
  c.design += s.design == "other" ? 0u : 1u;
  c.outcome += s.outcomes.empty() ? 0u : 1u;
  c.direction += any_dir ? 1u : 0u;
}

// Below this many records one writer is as fast as merging parts.
constexpr std::size_t parallel_threshold = 2000;

// Version of the findings snapshot and its XK terms; an index without it gets a full recount.
constexpr const char* snapshot_version = "2";

}  // namespace

std::size_t shard_of(const std::string& id, std::size_t shard_count) {
  if (shard_count <= 1) return 0;
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: stable across platforms and releases
  for (char ch : id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return static_cast<std::size_t>(h % shard_count);
}

RunReport run_index(const RunOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  RunReport rep;
  if (opt.shard_count == 0 || opt.shard_index >= opt.shard_count)
    throw Error(ErrorCode::invalid_argument, "shard must be i/n with 0 <= i < n");
  const unsigned threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  rep.threads = threads;
  const fs::path src = EVIDENCE_SOURCE_DIR;
  const Vocabulary vocabulary = Vocabulary::load(opt.vocabulary_file.empty() ? src / "schema/vocabulary.json" : opt.vocabulary_file);
  if (auto problems = vocabulary.check(); !problems.empty())
    throw Error(ErrorCode::invalid_argument, "the vocabulary is inconsistent: " + problems.front());
  const RecordValidator validator =
      RecordValidator::from_file(opt.schema_file.empty() ? src / "schema/study.schema.json" : opt.schema_file, vocabulary);
  const Annotator annotator(vocabulary);

  // Read everything first so that records can be merged across files and sources. Files are
  // parsed in parallel; their results are gathered in file order, so a run is deterministic.
  auto phase = std::chrono::steady_clock::now();
  const auto files = collect_input_files(opt.inputs);
  rep.files = files.size();
  struct FileResult {
    std::optional<RecordProblem> unreadable;
    ReadResult read;
  };
  std::vector<FileResult> results(files.size());
  parallel_for(files.size(), threads, [&](std::size_t i, unsigned) {
    std::string content;
    try {
      content = read_input_file(files[i]);
    } catch (const Error& e) {
      results[i].unreadable = RecordProblem{files[i].string(), "", "", e.what()};
      return;
    }
    results[i].read = read_records(content, files[i].string(), validator);
  });
  std::vector<Study> studies;
  std::vector<std::string> deletions;
  for (auto& fr : results) {
    if (fr.unreadable) {
      rep.problems.push_back(std::move(*fr.unreadable));
      ++rep.skipped;
      continue;
    }
    ReadResult& r = fr.read;
    ++rep.by_format[format_name(r.format)];
    rep.records_read += r.studies.size();
    for (auto& p : r.problems) {
      // Problems that name a record mean that record was skipped; file-level notes about
      // malformed XML are followed by per-record results.
      if (!p.record.empty() || r.studies.empty()) ++rep.skipped;
      rep.problems.push_back(std::move(p));
    }
    for (auto& s : r.studies) studies.push_back(std::move(s));
    deletions.insert(deletions.end(), r.deleted_pmids.begin(), r.deleted_pmids.end());
  }
  results.clear();
  results.shrink_to_fit();
  // Curated records first, so PubMed and CT.gov copies of the same study merge into them.
  std::stable_sort(studies.begin(), studies.end(), [](const Study& a, const Study& b) { return source_rank(a) < source_rank(b); });
  rep.timings["read"] = since(phase);

  if (opt.strict && rep.skipped > 0) {
    rep.seconds = since(t0);
    return rep;  // committed=false: strict mode fails the whole run
  }

  std::string previous_findings, previous_snapshot_version;
  {
    // The previous conclusions, for the change report; absent on a first run.
    try {
      IndexReader before(opt.db);
      rep.revision_before = before.revision();
      previous_findings = before.metadata(std::string(fields::meta_findings));
      previous_snapshot_version = before.metadata(std::string(fields::meta_snapshot_version));
    } catch (const Error&) {
    }
  }

  // The same study from several sources in this batch is merged in memory first (into the
  // highest-ranked copy), so it is written once and an unchanged merge is reported as unchanged.
  phase = std::chrono::steady_clock::now();
  std::vector<bool> absorbed(studies.size(), false), elsewhere(studies.size(), false);
  {
    std::unordered_map<std::string, std::size_t> first_with;
    for (std::size_t i = 0; i < studies.size(); ++i) {
      std::optional<std::size_t> into;
      const auto keys = identifier_keys(studies[i]);
      for (const auto& key : keys)
        if (auto it = first_with.find(key); it != first_with.end() && studies[it->second].id != studies[i].id) into = it->second;
      if (into) {
        merge_study(studies[*into], studies[i]);
        absorbed[i] = true;
        ++rep.merged;
        continue;
      }
      for (const auto& key : keys) first_with.emplace(key, i);
    }
  }
  // A shard keeps the records whose id hashes to it; merging came first, so twins from other
  // sources land in the shard of the record they were merged into.
  if (opt.shard_count > 1)
    for (std::size_t i = 0; i < studies.size(); ++i)
      if (!absorbed[i] && shard_of(studies[i].id, opt.shard_count) != opt.shard_index) {
        elsewhere[i] = true;
        ++rep.other_shard;
      }
  rep.timings["merge"] = since(phase);

  phase = std::chrono::steady_clock::now();
  IndexWriter writer(opt.db, vocabulary, opt.rebuild);
  const bool starts_empty = opt.rebuild || writer.doc_count() == 0;
  // Annotation and document building (most of the work) run on worker threads a block ahead of
  // the single Xapian writer, which gets the prepared documents in input order.
  std::vector<std::unique_ptr<DocumentBuilder>> builders;
  for (unsigned w = 0; w < threads; ++w) builders.push_back(std::make_unique<DocumentBuilder>(vocabulary));
  constexpr std::size_t block_size = 512;
  using Block = std::vector<std::optional<PreparedDocument>>;
  auto prepare = [&](std::size_t begin) {
    const std::size_t end = std::min(studies.size(), begin + block_size);
    Block block(end - begin);
    parallel_for(end - begin, threads, [&](std::size_t k, unsigned worker) {
      const std::size_t idx = begin + k;
      if (elsewhere[idx]) return;
      annotator.annotate(studies[idx]);
      if (!absorbed[idx]) block[k] = builders[worker]->build(studies[idx]);
    });
    return block;
  };
  // A fresh index with many records is written by every thread, each into a part of its own
  // that the writer merges at commit: Xapian's inversion, not our annotation, is most of the
  // cost, and one writer thread kept the other core idle.
  const bool parallel_parts = starts_empty && threads > 1 && studies.size() >= parallel_threshold;
  std::future<Block> next;
  if (!studies.empty() && !parallel_parts) next = std::async(std::launch::async, prepare, 0);

  std::set<std::string> seen_ids;
  // True for the first record with its id in this run; a later one is reported and skipped.
  auto first_with_id = [&](const Study& s) {
    if (seen_ids.insert(s.id).second) return true;
    rep.problems.push_back({s.annotation.files.empty() ? "" : s.annotation.files.front(), s.id, "/id",
                            "duplicate id in this run; the first record with this id was kept"});
    ++rep.skipped;
    return false;
  };
  std::vector<const Study*> written;  // for the findings snapshot of a fresh index
  std::deque<Study> merged_copies;
  std::size_t done = 0;
  if (parallel_parts) {
    // Ids decide up front which record is written (the index is empty, so there are no twins
    // in it to merge with); then the threads annotate, build and write their share.
    std::vector<char> write(studies.size(), 0);
    for (std::size_t idx = 0; idx < studies.size(); ++idx) {
      const Study& s = studies[idx];
      if (elsewhere[idx] || absorbed[idx]) continue;
      if (!first_with_id(s)) continue;
      write[idx] = 1;
    }
    writer.open_parts(threads);
    std::atomic<std::size_t> progress{0};
    std::mutex progress_mutex;
    parallel_for(studies.size(), threads, [&](std::size_t idx, unsigned worker) {
      if (!elsewhere[idx]) {
        annotator.annotate(studies[idx]);
        if (write[idx]) writer.put_to_part(worker, builders[worker]->build(studies[idx]));
      }
      const std::size_t n = ++progress;
      if (opt.progress && (n % 256 == 0 || n == studies.size())) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        opt.progress(n, studies.size());
      }
    });
    for (std::size_t idx = 0; idx < studies.size(); ++idx) {
      const Study& s = studies[idx];
      if (elsewhere[idx]) continue;
      count_coverage(rep, s);
      if (!write[idx]) continue;
      if (s.retracted) rep.retracted.push_back(s.id);
      ++rep.added;
      written.push_back(&s);
    }
  }
  for (std::size_t begin = 0; !parallel_parts && begin < studies.size(); begin += block_size) {
    Block block = next.get();
    if (begin + block_size < studies.size()) next = std::async(std::launch::async, prepare, begin + block_size);
    for (std::size_t k = 0; k < block.size(); ++k) {
      const std::size_t idx = begin + k;
      Study& s = studies[idx];
      ++done;
      if (opt.progress) opt.progress(done, studies.size());
      if (elsewhere[idx]) continue;
      count_coverage(rep, s);
      if (absorbed[idx]) continue;  // merged into another record of this batch above
      // The same study already in the index from another source (same PMID, DOI or NCT id) is
      // merged, not shown twice. The writer sees this run's uncommitted records too.
      std::optional<std::string> twin;
      for (const auto& [kind, value] : {std::pair{"pmid", s.identifiers.pmid}, std::pair{"doi", s.identifiers.doi}, std::pair{"nct", s.identifiers.nct}}) {
        if (value.empty() || twin) continue;
        if (auto found = writer.find_by_identifier(kind, value); found && *found != s.id) twin = found;
      }
      bool rebuilt = false;
      if (twin) {
        std::optional<Study> existing = writer.get(*twin);
        if (existing && source_rank(*existing) <= source_rank(s)) {
          merge_study(*existing, s);
          annotator.annotate(*existing);
          const Change c = writer.put(*existing);
          if (c != Change::unchanged) ++rep.merged;
          else ++rep.unchanged;
          seen_ids.insert(existing->id);
          merged_copies.push_back(std::move(*existing));
          written.push_back(&merged_copies.back());
          continue;
        }
        if (existing) {
          // The new record outranks the indexed one (a curated record arriving after its PubMed
          // copy): it takes over, and the old copy is removed.
          merge_study(s, *existing);
          writer.remove(*twin);
          rebuilt = true;
          ++rep.merged;
        }
      }
      if (!first_with_id(s)) continue;
      if (s.retracted) rep.retracted.push_back(s.id);
      const Change change = rebuilt ? writer.put(s) : writer.put(std::move(*block[k]));
      switch (change) {
        case Change::added: ++rep.added; break;
        case Change::updated: ++rep.updated; break;
        case Change::unchanged: ++rep.unchanged; break;
      }
      written.push_back(&s);
    }
  }
  std::set<std::string> deleted_ids;
  for (const auto& pmid : deletions) {
    if (writer.remove("pubmed-" + pmid)) {
      ++rep.deleted;
      deleted_ids.insert("pubmed-" + pmid);
    }
  }
  writer.write_synonyms(vocabulary);
  writer.set_metadata(std::string(fields::meta_schema), "1");
  writer.set_metadata(std::string(fields::meta_vocabulary), vocabulary.version());
  {
    const auto now = std::chrono::system_clock::now();
    const std::time_t tt = std::chrono::system_clock::to_time_t(now);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    writer.set_metadata(std::string(fields::meta_built_at), buf);
  }
  rep.timings["index"] = since(phase);

  // Compare the graded conclusions with those of the previous index; the new snapshot is
  // committed in the same transaction as the records. A finding depends only on the records
  // that report on its key, so an incremental run recounts just the keys its records touched.
  phase = std::chrono::steady_clock::now();
  {
    json before = json::object();
    if (!previous_findings.empty()) {
      try {
        before = json::parse(previous_findings);
      } catch (const json::exception&) {
        // An unreadable snapshot only means every conclusion is reported as new.
      }
    }
    json now = json::object();
    std::optional<std::set<std::string>> only;  // keys recounted; all when empty
    if (starts_empty) {
      // Only records with a reportable result can be part of a finding (synthesise() skips the
      // rest), so only they are copied: at a million records, a copy of all of them doubled
      // the run's memory.
      std::vector<Study> fresh;
      for (const Study* s : written)
        if (!deleted_ids.count(s->id) && can_report(*s)) fresh.push_back(*s);
      now = findings_snapshot(fresh, vocabulary);
    } else if (previous_snapshot_version != snapshot_version || !before.is_object()) {
      now = findings_snapshot(writer.all_studies(), vocabulary);
    } else {
      only = writer.touched_finding_keys();
      const json recounted = only->empty() ? json::object() : findings_snapshot(writer.studies_with_findings(&*only), vocabulary);
      now = before;
      for (const auto& k : *only) now.erase(k);
      for (const auto& [k, v] : recounted.items())
        if (only->count(k)) now[k] = v;
    }
    for (const auto& [k, v] : now.items())
      if (!before.contains(k) || before[k] != v)
        rep.changed_conclusions.push_back({k, before.contains(k) ? before[k].get<std::string>() : "", v.get<std::string>()});
    for (const auto& [k, v] : before.items())
      if (!now.contains(k)) rep.changed_conclusions.push_back({k, v.get<std::string>(), ""});
    writer.set_metadata(std::string(fields::meta_findings), now.dump());
    writer.set_metadata(std::string(fields::meta_snapshot_version), snapshot_version);
  }
  rep.timings["findings"] = since(phase);
  phase = std::chrono::steady_clock::now();
  writer.commit();
  rep.committed = true;
  rep.timings["commit"] = since(phase);
  try {
    rep.revision_after = IndexReader(opt.db).revision();
  } catch (const Error&) {
  }
  rep.seconds = since(t0);
  return rep;
}

}  // namespace evidence
