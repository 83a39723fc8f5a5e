#pragma once
// The clinical audit (tests/audit/README.md): one answer of /api/search checked against the
// curated records, the vocabulary and one entry of tests/audit/questions.json. Used by
// tests/unit/test_audit.cpp and bench/audit_report.cpp, so the test and the report count the
// same problems.
//
// Two families of checks:
//   invariants   on every finding of any graded summary: counts, certainty ceiling, population,
//                coherence; plus the question's own max_certainty and record_caps, which are
//                ceilings of the same kind (reported as invariant problems)
//   expectation  the question's own properties: records first, intervention and comparator of
//                every finding, the key finding with its direction and population, must_show
//
// Pure functions over JSON and the study model: no HTTP, no Xapian.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "evidence/study.hpp"
#include "evidence/vocabulary.hpp"

namespace evidence::test {

// The curated records by id.
using RecordsById = std::map<std::string, Study>;

// Every *.json under `corpus_dir` read with study_from_json. Throws std::runtime_error naming
// the file that cannot be read.
RecordsById load_audit_records(const std::filesystem::path& corpus_dir);

struct AuditContext {
  const RecordsById& records;
  const Vocabulary& vocabulary;
};

enum class ProblemFamily { invariant, expectation };

struct AuditProblem {
  std::string question_id;
  std::string finding_key;  // empty when the problem concerns the answer as a whole
  // invariants: counts, certainty_ceiling, max_certainty, record_cap, population, coherence
  // expectation: records_first, findings, intervention, comparator, key_finding, direction,
  //              key_population, must_show
  std::string check;
  std::string message;
  ProblemFamily family = ProblemFamily::invariant;

  // "A001 [tens|placebo_sham|pain|short] counts: ..."
  std::string to_string() const;
};

// The invariants on every finding of `summary` (the graded summary object, {"findings": [...]}).
// `question` is an entry of questions.json; its max_certainty and record_caps are checked when
// it has "expect", so a bare {"id": "X"} checks the question-independent invariants only.
std::vector<AuditProblem> check_invariants(const AuditContext& ctx, const nlohmann::json& question,
                                           const nlohmann::json& summary);

// The question's expectation against the whole /api/search answer (hits and summary).
std::vector<AuditProblem> check_expectation(const AuditContext& ctx, const nlohmann::json& question,
                                            const nlohmann::json& search);

// Both of the above for one answer.
std::vector<AuditProblem> audit_answer(const AuditContext& ctx, const nlohmann::json& question,
                                       const nlohmann::json& search);

// The request whose answer a question is checked against: /api/search?q=<q>&per_page=5.
std::string audit_request_path(const nlohmann::json& question);

// Figures over a run of questions.
struct AuditTally {
  std::size_t questions = 0;
  std::size_t passing = 0;             // no problem of either family
  std::size_t invariants_passing = 0;  // no invariant problem
  std::size_t expectations_passing = 0;
  // check -> problems, and check -> questions with at least one such problem
  std::map<std::string, std::size_t> invariant_problems, expectation_problems;
  std::map<std::string, std::size_t> invariant_questions, expectation_questions;

  void add(const std::vector<AuditProblem>& problems);
  std::size_t invariant_total() const;
  std::size_t expectation_total() const;
  // A few lines: questions passing, then problems by kind.
  std::string report() const;
};

}  // namespace evidence::test
