// Golden tests over the indexed corpus/: for each treatment the founding brief names, the
// expected curated records rank first and the summary follows from the records' facts.
#include <catch2/catch.hpp>

#include "evidence/errors.hpp"
#include "evidence/search.hpp"
#include "test_support.hpp"

using namespace evidence;
using evidence::test::corpus_index;
using evidence::test::vocabulary;

namespace {
SearchResponse run(const std::string& q, std::size_t per_page = 10, const std::string& sort = "relevance") {
  IndexReader reader(corpus_index());
  SearchRequest r;
  r.q = q;
  r.per_page = per_page;
  r.sort = parse_sort_order(sort).value();
  return search(reader, vocabulary(), r);
}
std::vector<std::string> top_ids(const SearchResponse& r, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::min(n, r.hits.size()); ++i) out.push_back(r.hits[i].study.id);
  return out;
}
bool in_top(const SearchResponse& r, const std::string& id, std::size_t n) {
  const auto t = top_ids(r, n);
  return std::find(t.begin(), t.end(), id) != t.end();
}
const Finding* finding(const SearchResponse& r, const std::string& key_prefix) {
  for (const auto& f : r.summary->findings)
    if (f.key.rfind(key_prefix, 0) == 0) return &f;
  return nullptr;
}
bool about(const Study& s, const std::string& family) {
  for (const auto& a : s.interventions)
    for (const auto& c : a.concepts)
      if (vocabulary().is_a(c, family)) return true;
  return false;
}
// A search without a summary whose BM25 pool holds `pool` records, and `complete` more of those
// with every concept group (SearchRequest::complete_depth).
SearchRequest small_pool(const std::string& q, std::size_t pool, std::size_t complete) {
  SearchRequest r;
  r.q = q;
  r.per_page = 5;
  r.with_summary = false;
  r.rescore_depth = pool;
  r.complete_depth = complete;
  return r;
}

}  // namespace

TEST_CASE("golden: electrotherapy chronic LBP efficacy", "[search][golden]") {
  const auto r = run("electrotherapy chronic LBP efficacy", 5);
  for (const auto& h : r.hits) {
    INFO(h.study.id);
    CHECK(about(h.study, "electrotherapy"));
  }
  CHECK(in_top(r, "LBP024", 6));  // Cochrane TENS vs placebo
  CHECK(in_top(r, "LBP084", 6));  // interferential current review
  // TENS vs sham in chronic LBP, function: two trials consistently found no improvement (LBP024).
  const Finding* f = finding(r, "tens|placebo_sham|function");
  REQUIRE(f);
  CHECK(f->direction == Direction::no_difference);
  CHECK(std::find(f->record_ids.begin(), f->record_ids.end(), "LBP024") != f->record_ids.end());
  CHECK(f->clinician_sentence.find("little to no difference") != std::string::npos);
}

TEST_CASE("golden: surgery versus physical therapy for spinal stenosis", "[search][golden]") {
  const auto r = run("surgery versus physical therapy for lumbar spinal stenosis", 5);
  CHECK(in_top(r, "LBP001", 3));  // Delitto 2015: surgery vs PT
  CHECK(in_top(r, "LBP004", 3));  // Cochrane: surgery vs non-surgical care
  // Long term: Delitto's ITT difference 0.9 (-7.9 to 9.6) beside the Cochrane review's 1-year estimate.
  const Finding* f = finding(r, "surgical_decompression|active|function|long");
  REQUIRE(f);
  CHECK(f->direction == Direction::no_difference);
  CHECK(std::find(f->record_ids.begin(), f->record_ids.end(), "LBP001") != f->record_ids.end());
  // The Cochrane review names its comparator once, on the record (non-surgical care: physiotherapy,
  // exercise, braces, injections): its results answer the question, labelled as what was studied.
  const Finding* six_months = finding(r, "surgical_decompression|active|function|intermediate");
  REQUIRE(six_months);
  CHECK(six_months->record_ids == std::vector<std::string>{"LBP004"});
  CHECK(six_months->comparator_label == "physiotherapy and other active treatments");
  CHECK(six_months->comparator_plain.find("and other treatments") != std::string::npos);
}

TEST_CASE("golden: osteopathy", "[search][golden]") {
  const auto r = run("osteopathy for low back pain", 5);
  const auto t = top_ids(r, 3);
  CHECK(std::count_if(t.begin(), t.end(),
                      [](const std::string& id) { return id == "LBP021" || id == "LBP022" || id == "LBP023"; }) >= 2);
  REQUIRE_FALSE(r.summary->findings.empty());
  CHECK(r.summary->findings.front().intervention == "osteopathic_manipulative_treatment");
}

TEST_CASE("golden: exercise for chronic low back pain", "[search][golden]") {
  const auto r = run("exercise chronic low back pain", 15);
  // Cochrane exercise review. Since the records of sheet rows LBP102-LBP129 it ranks 12th, below
  // newer exercise reviews that score higher on evidence weight although their titles match the
  // question less well; relevance before evidence strength (issue 16) is to bring it back.
  CHECK(in_top(r, "LBP005", 15));
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& h = r.hits.at(i);
    INFO(h.study.id);
    CHECK(about(h.study, "exercise_therapy"));
  }
}

TEST_CASE("golden: acupuncture, patient wording", "[search][golden]") {
  const auto r = run("does acupuncture help my back", 5);
  CHECK(in_top(r, "LBP030", 3));  // Cochrane acupuncture review
  for (std::size_t i = 0; i < 3; ++i) CHECK(about(r.hits.at(i).study, "acupuncture"));
  REQUIRE_FALSE(r.summary->findings.empty());
  for (const auto& f : r.summary->findings) {
    CHECK(f.intervention == "acupuncture");
    CHECK_FALSE(f.patient_sentence.empty());
    CHECK_FALSE(f.record_ids.empty());
  }
}

TEST_CASE("golden: massage, opioids and imaging", "[search][golden]") {
  CHECK(in_top(run("massage", 3), "LBP020", 3));
  const auto o = run("opioids chronic low back pain", 3);
  CHECK((in_top(o, "LBP045", 3) && in_top(o, "LBP046", 3)));
  const Finding* pain = finding(o, "opioids|placebo_sham|pain|short");
  REQUIRE(pain);
  CHECK(pain->direction == Direction::favours_intervention);
  const auto i = run("imaging for low back pain", 3);
  CHECK(in_top(i, "LBP050", 3));
  const Finding* img = finding(i, "diagnostic_imaging|usual_care|pain");
  REQUIRE(img);
  CHECK(img->direction == Direction::no_difference);  // routine imaging did not improve outcomes
}

TEST_CASE("every hit explains its rank", "[search]") {
  const auto r = run("TENS chronic low back pain", 3);
  REQUIRE_FALSE(r.hits.empty());
  const auto& why = r.hits.front().why;
  CHECK(std::any_of(why.begin(), why.end(),
                    [](const std::string& w) { return w.rfind("matches intervention", 0) == 0; }));
  CHECK(std::any_of(why.begin(), why.end(),
                    [](const std::string& w) { return w.find("evidence level") != std::string::npos; }));
  CHECK(std::any_of(why.begin(), why.end(), [](const std::string& w) { return w.rfind("score ", 0) == 0; }));
  // Scores are in rank order.
  for (std::size_t i = 1; i < r.hits.size(); ++i) CHECK(r.hits[i - 1].score >= r.hits[i].score);
}

TEST_CASE("reviews of the treatment rank above its trials and trials of it above broad reviews", "[search]") {
  const auto r = run("yoga for chronic low back pain", 10);
  REQUIRE(r.hits.size() >= 3);
  const Design first = r.hits.front().study.design;
  CHECK((first == Design::systematic_review || first == Design::guideline));
  auto names_yoga = [](const Study& s) { return s.title.find("oga") != std::string::npos; };
  std::size_t first_rct = r.hits.size(), last_review = 0, first_broad_review = r.hits.size();
  for (std::size_t i = 0; i < r.hits.size(); ++i) {
    const auto& s = r.hits[i].study;
    if (!about(s, "yoga")) continue;
    if (s.design == Design::rct && names_yoga(s)) first_rct = std::min(first_rct, i);
    if (s.design == Design::systematic_review && names_yoga(s)) last_review = i;
    if (s.design == Design::systematic_review && !names_yoga(s)) first_broad_review = std::min(first_broad_review, i);
  }
  CHECK(last_review < first_rct);  // every review of yoga above the first yoga trial (evidence strength)
  // A trial named for yoga is more about the question than a review of many treatments that
  // includes yoga (the treatment in the title, RankingWeights::title_concept).
  CHECK(first_rct < first_broad_review);
  CHECK(first_broad_review < r.hits.size());
}

TEST_CASE("facets have exact counts and filters narrow the results", "[search]") {
  const auto all = run("exercise", 10);
  std::uint64_t design_total = 0;
  std::uint64_t reviews = 0;
  for (const auto& [field, counts] : all.facets)
    if (field == "design")
      for (const auto& c : counts) {
        design_total += c.count;
        if (c.value == "systematic_review") reviews = c.count;
      }
  CHECK(design_total == all.found);  // every match has exactly one design
  REQUIRE(reviews > 0);
  IndexReader reader(corpus_index());
  SearchRequest req;
  req.q = "exercise";
  req.designs = {"systematic_review"};
  const auto filtered = search(reader, vocabulary(), req);
  CHECK(filtered.found == reviews);
  for (const auto& h : filtered.hits) CHECK(h.study.design == Design::systematic_review);
}

TEST_CASE("field syntax, sorting and paging", "[search]") {
  const auto r = run("intervention:exercise_therapy year:2015..2022", 100);
  REQUIRE(r.found > 0);
  for (const auto& h : r.hits) {
    CHECK(h.study.year >= 2015);
    CHECK(h.study.year <= 2022);
  }
  const auto by_year = run("back pain", 10, "year");
  for (std::size_t i = 1; i < by_year.hits.size(); ++i)
    CHECK(by_year.hits[i - 1].study.year >= by_year.hits[i].study.year);
  IndexReader reader(corpus_index());
  SearchRequest p1, p2;
  p1.q = p2.q = "low back pain";
  p1.per_page = p2.per_page = 5;
  p2.page = 2;
  const auto a = search(reader, vocabulary(), p1), b = search(reader, vocabulary(), p2);
  CHECK(a.found == b.found);
  for (const auto& x : a.hits)
    for (const auto& y : b.hits) CHECK(x.study.id != y.study.id);
}

TEST_CASE("snippets mark matched terms and escape record text", "[search]") {
  const auto r = run("interferential current", 3);
  REQUIRE_FALSE(r.hits.empty());
  bool marked = false;
  for (const auto& h : r.hits) marked = marked || h.snippet.find("<mark>") != std::string::npos;
  CHECK(marked);
}

TEST_CASE("an empty or thin question says so", "[search]") {
  const auto r = run("crystal healing for back pain", 5);
  REQUIRE(r.summary);
  CHECK(r.summary->findings.empty());
  CHECK_FALSE(r.summary->messages.empty());
}

TEST_CASE("request limits are enforced", "[search]") {
  IndexReader reader(corpus_index());
  SearchRequest r;
  r.per_page = 101;
  CHECK_THROWS_AS(search(reader, vocabulary(), r), Error);
  r.per_page = 10;
  r.page = 100000;
  CHECK_THROWS_AS(search(reader, vocabulary(), r), Error);
  r.page = 1;
  r.q = std::string(2000, 'a');
  CHECK_THROWS_AS(search(reader, vocabulary(), r), Error);
}

TEST_CASE("check_search_request refuses what the API cannot page, without overflowing", "[search]") {
  SearchRequest r;
  r.q = std::string(max_query_length + 1, 'a');
  try {
    check_search_request(r);
    FAIL("an over-long query was accepted");
  } catch (const evidence::Error& e) {
    CHECK(e.code() == evidence::ErrorCode::query_too_long);
  }
  r.q = "exercise";
  r.per_page = 4;
  r.page = (std::size_t{1} << 62);  // page * per_page wraps around to 0 in 64 bits
  CHECK_THROWS_AS(check_search_request(r), evidence::Error);
  r.page = max_page_depth / r.per_page;
  CHECK_NOTHROW(check_search_request(r));
  r.page += 1;
  CHECK_THROWS_AS(check_search_request(r), evidence::Error);
}

TEST_CASE("an identifier finds its record first, however it is written", "[search][identifiers]") {
  for (const std::string q :
       {"25844995", "PMID: 25844995", "https://pubmed.ncbi.nlm.nih.gov/25844995/", "10.7326/M14-1420",
        "https://doi.org/10.7326/M14-1420", "NCT00022776", "surgery for spinal stenosis 25844995"}) {
    INFO(q);
    const auto r = run(q, 5);
    REQUIRE_FALSE(r.hits.empty());
    CHECK(r.hits.front().study.id == "LBP001");
    CHECK(r.hits.front().why.front() == "the identifier in the query names this record");
  }
  const auto review = run("doi.org/10.1002/14651858.CD007612.pub2", 5);
  REQUIRE_FALSE(review.hits.empty());
  CHECK(review.hits.front().study.id == "LBP037");
  CHECK(run("PMID 1", 5).hits.empty());  // an identifier of no record finds nothing, not everything
}

TEST_CASE("relevance first: a record with the question's own words outranks stronger records without them",
          "[search][ranking]") {
  // "lifting" is no vocabulary word; the reviews of back pain in general are stronger evidence.
  const auto r = run("back pain after lifting", 10);
  REQUIRE(r.hits.size() >= 3);
  const auto contains = [](const Hit& h) {
    return std::any_of(h.why.begin(), h.why.end(),
                       [](const std::string& w) { return w.rfind("contains the words lifting", 0) == 0; });
  };
  CHECK(r.hits[0].study.id == "LBP103");  // manual material handling advice for workers
  // No record without the word ranks above one with it when both match the same concepts.
  bool seen_without = false;
  for (const auto& h : r.hits) {
    INFO(h.study.id);
    if (!contains(h)) seen_without = true;
    if (seen_without) CHECK_FALSE(contains(h));
  }
  // Evidence strength still orders records of the same relevance: nothing weighs more than one
  // concept match.
  const RankingWeights w;
  CHECK(w.per_level * 4 + w.per_quality_point * 10 + w.curated_results < w.concept_match);
}

TEST_CASE("several treatments: 'A or B' finds either, 'A and B' falls back to either when none has both",
          "[search][ranking]") {
  const auto either = run("yoga or pilates", 20);
  CHECK(either.question.either_treatment);
  CHECK_FALSE(either.treatments_relaxed);
  CHECK(in_top(either, "LBP011", 20));  // yoga
  CHECK(in_top(either, "LBP006", 20));  // Pilates in a network meta-analysis of exercise
  // The same two treatments asked for together: only records with both, when there are some.
  const auto both = run("yoga and pilates", 20);
  CHECK_FALSE(both.question.either_treatment);
  CHECK(both.found < either.found);
  // No record studies traction with yoga: rather than nothing, records of either, flagged.
  const auto none = run("pilates plus radiofrequency denervation", 20);
  CHECK(none.treatments_relaxed);
  CHECK(in_top(none, "LBP071", 20));  // Cochrane review of radiofrequency denervation
  CHECK(in_top(none, "LBP006", 20));
}

TEST_CASE("a treatment asked about is found where it is the comparison", "[search][ranking]") {
  // The Cochrane review of advice to stay active has bed rest as its comparator.
  const auto r = run("should I stay in bed", 5);
  REQUIRE_FALSE(r.hits.empty());
  CHECK(r.hits[0].study.id == "LBP037");
  CHECK(r.did_you_mean.empty());  // recognised words are never "corrected"
}

TEST_CASE("the usual alternative of the one asked treatment is found as half a match", "[search][ranking]") {
  auto why_of = [](const SearchResponse& r, const std::string& id) {
    for (const auto& h : r.hits)
      if (h.study.id == id) {
        std::string all;
        for (const auto& w : h.why) all += w + "; ";
        return all;
      }
    return std::string("(not found)");
  };
  // Bed rest's alternative in the vocabulary is advice to stay active: the guideline that advises
  // it (LBP055) answers "should I stay in bed" too, below the review that compares the two.
  const auto r = run("should I stay in bed", 10);
  REQUIRE(r.hits.size() >= 2);
  CHECK(r.hits[0].study.id == "LBP037");
  CHECK(why_of(r, "LBP037").find("Bed rest (compared with Advice to stay active)") != std::string::npos);
  CHECK(why_of(r, "LBP055").find("Advice to stay active (the usual alternative to Bed rest)") != std::string::npos);
  // Half a match: below a record of the asked treatment itself.
  const auto score = [&](const std::string& id) {
    for (const auto& h : r.hits)
      if (h.study.id == id) return h.score;
    return -1.0;
  };
  CHECK(score("LBP055") < score("LBP037"));
  // The summary keeps to bed rest: the review's comparison turned round, named for what bed rest
  // was compared with, never above the review's own moderate certainty; the guideline of staying
  // active alone gives no finding.
  REQUIRE(r.summary);
  REQUIRE_FALSE(r.summary->findings.empty());
  bool acute_pain = false;
  for (const auto& f : r.summary->findings) {
    CHECK(f.intervention == "bed_rest");
    CHECK(f.comparator_label == "advice to stay active");
    CHECK(f.record_ids == std::vector<std::string>{"LBP037"});
    CHECK(f.certainty <= CertaintyLevel::moderate);
    if (f.outcome == "pain" && f.population == "acute_low_back_pain") {
      acute_pain = true;
      CHECK(f.direction == Direction::favours_comparator);  // staying active did better
      REQUIRE(f.effect);
      CHECK(*f.effect < 0);  // the review's SMD 0.22 for staying active, turned round
    }
  }
  CHECK(acute_pain);
  // Not when the question names another treatment, or asks to compare.
  CHECK(why_of(run("bed rest vs exercise", 10), "LBP055") == "(not found)");
  const auto stay = run("stay active", 10);
  CHECK(why_of(stay, "LBP037").find("usual alternative") == std::string::npos);
}

TEST_CASE("a guideline of many treatments ranks below the studies of the asked treatment", "[search][ranking]") {
  // The NICE guideline (LBP053, twenty treatments) and the ACP review (LBP052) ranked among the
  // acupuncture trials for "does acupuncture help my back".
  IndexReader reader(corpus_index());
  SearchRequest r;
  r.q = "does acupuncture help my back";
  r.per_page = 10;
  auto place = [](const SearchResponse& res, const std::string& id) {
    for (std::size_t i = 0; i < res.hits.size(); ++i)
      if (res.hits[i].study.id == id) return i;
    return res.hits.size();
  };
  RankingWeights flat;
  flat.broad_record = 0;
  const auto before = search(reader, vocabulary(), r, flat);
  const auto now = search(reader, vocabulary(), r);
  REQUIRE(place(before, "LBP053") < place(before, "LBP031"));  // the trial of acupuncture against sham
  CHECK(place(now, "LBP031") < place(now, "LBP053"));
  const auto nice = std::find_if(now.hits.begin(), now.hits.end(), [](const Hit& h) { return h.study.id == "LBP053"; });
  if (nice != now.hits.end())
    CHECK(std::find(nice->why.begin(), nice->why.end(), "covers 20 treatments (ranked below studies of fewer)") !=
          nice->why.end());
  // Less than half a concept: a record with more of the question still ranks first.
  CHECK(RankingWeights{}.broad_record < RankingWeights{}.concept_match / 2);
  // Only when a treatment is asked about: a question about a condition alone keeps the order.
  SearchRequest c;
  c.q = "chronic low back pain";
  c.per_page = 20;
  CHECK(top_ids(search(reader, vocabulary(), c, flat), 20) == top_ids(search(reader, vocabulary(), c), 20));
}

TEST_CASE("an asked outcome ranks the records that measure it", "[search][ranking]") {
  const auto measures = [](const Study& s, const std::string& domain) {
    return std::any_of(s.outcomes.begin(), s.outcomes.end(),
                       [&](const OutcomeResult& o) { return o.domain == domain; });
  };
  // "recurrence" is only an outcome concept: it used to rank nothing, so every record came back in
  // order of evidence strength (the muscle relaxant review first).
  const auto r = run("recurrence", 5);
  REQUIRE(r.hits.size() == 5);
  CHECK(r.found < IndexReader(corpus_index()).doc_count());
  for (const auto& h : r.hits) {
    INFO(h.study.id);
    CHECK(measures(h.study, "recurrence"));
    CHECK(std::any_of(h.why.begin(), h.why.end(),
                      [](const std::string& w) { return w == "measures outcome Recurrence"; }));
  }
  // With a treatment and a condition, the record that also measures the asked outcome comes first:
  // the walking trial about recurrence (LBP090) above the walking review (LBP115).
  const auto walking = run("will walking stop my back pain coming back", 5);
  REQUIRE(walking.hits.size() >= 2);
  CHECK(walking.hits[0].study.id == "LBP090");
  CHECK(in_top(walking, "LBP115", 5));
}

TEST_CASE("a record with every concept of the question is rescored even when BM25 leaves it out of the pool",
          "[search][ranking]") {
  // "exercises" matches many records by its one-word forms; the Cochrane pregnancy review (LBP093)
  // is annotated with exercise and pregnancy-related pain but uses those words less than others.
  IndexReader reader(corpus_index());
  SearchRequest r = small_pool("exercises for pelvic pain after pregnancy", 5, 0);
  const auto bm25_only = search(reader, vocabulary(), r);
  REQUIRE(bm25_only.found > 5);
  CHECK_FALSE(in_top(bm25_only, "LBP093", 5));
  r.complete_depth = 5;
  const auto with_complete = search(reader, vocabulary(), r);
  REQUIRE_FALSE(with_complete.hits.empty());
  CHECK(with_complete.hits[0].study.id == "LBP093");
  CHECK(with_complete.found == bm25_only.found);  // the count and facets are those of the one match
}

TEST_CASE("an A or B question finds the records that compare A with B even when BM25 leaves them out",
          "[search][ranking]") {
  // Delitto 2015 (LBP001) compares surgical decompression with physical therapy for stenosis, the
  // very question; the best records of either treatment alone filled the pool and left it out
  // (outside the 200 rescored candidates over the relevance set). With a pool of three it is left
  // out here too.
  IndexReader reader(corpus_index());
  SearchRequest r = small_pool("lumbar spinal stenosis surgery or physiotherapy", 3, 0);
  const auto bm25_only = search(reader, vocabulary(), r);
  CHECK_FALSE(in_top(bm25_only, "LBP001", 5));
  r.complete_depth = 3;
  const auto res = search(reader, vocabulary(), r);
  REQUIRE(res.question.either_treatment);
  REQUIRE(res.found > 5);
  // The comparison counts both treatments in full: it ranks above a study of one of them.
  REQUIRE_FALSE(res.hits.empty());
  CHECK(res.hits[0].study.id == "LBP001");
  CHECK(in_top(res, "LBP004", 3));  // the Cochrane review of surgery against non-surgical care
  const auto why = std::find_if(res.hits.begin(), res.hits.end(), [](const Hit& h) { return h.study.id == "LBP001"; });
  REQUIRE(why != res.hits.end());
  CHECK(std::any_of(why->why.begin(), why->why.end(), [](const std::string& w) {
    return w.find("Physiotherapy (as the comparison)") != std::string::npos;
  }));
}

TEST_CASE("paging past the rescored candidates shows every match once", "[search][ranking]") {
  // The records that join the candidates from below the BM25 pool (the comparisons of an "A or B"
  // question, the records with every concept) were shown again on the deep pages, and as many
  // others never.
  IndexReader reader(corpus_index());
  for (const std::string q :
       {"lumbar spinal stenosis surgery or physiotherapy", "exercises for pelvic pain after pregnancy"}) {
    INFO("query: " << q);
    SearchRequest r = small_pool(q, 3, 3);
    r.per_page = 4;
    std::vector<std::string> seen;
    std::set<std::size_t> ranks;
    std::uint64_t found = 0;
    for (std::size_t page = 1; page < 100; ++page) {
      r.page = page;
      const auto res = search(reader, vocabulary(), r);
      found = res.found;
      for (const auto& h : res.hits) {
        seen.push_back(h.study.id);
        ranks.insert(h.rank);
      }
      if (res.hits.size() < r.per_page) break;
    }
    REQUIRE(found > 10);
    CHECK(seen.size() == found);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == seen.size());
    CHECK(ranks.size() == seen.size());
    CHECK(*ranks.rbegin() == found);
  }
}

TEST_CASE("did you mean: only unknown words, to a word of the records, when it finds more", "[search]") {
  // "asistive" is in no record; "assistive devices" are found together (LBP103).
  const auto r = run("asistive devices back pain", 5);
  CHECK(r.did_you_mean == "assistive devices back pain");
  // A word that no record has and that has no near word offers nothing.
  CHECK(run("back pain xqzvw", 5).did_you_mean.empty());
}

TEST_CASE("the question length limit counts characters, not bytes", "[search]") {
  SearchRequest r;
  std::string accented;
  for (std::size_t i = 0; i < max_query_length; ++i) accented += "\xc3\xa9";  // 1,000 x "é", 2,000 bytes
  r.q = accented;
  CHECK_NOTHROW(check_search_request(r));
  r.q = std::string(max_query_length + 1, 'a');
  CHECK_THROWS_AS(check_search_request(r), Error);
}

TEST_CASE("boolean text that loses its words to concepts still searches; an empty year range is refused", "[search]") {
  const auto r = run("\"low back pain\" AND massage NOT acute", 10);
  CHECK(r.found > 0);
  SearchRequest req;
  req.q = "massage";
  req.year_min = 2030;
  req.year_max = 2020;
  CHECK_THROWS_AS(check_search_request(req), Error);
}
