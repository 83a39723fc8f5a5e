// A partitioned index: shards built by `evidence-index --shard i/n`, combined through a Xapian
// stub file, one of them served over Xapian's remote protocol by xapian-tcpsrv on loopback.
// Search results, facets and graded summaries must equal those of one index of the same records.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "evidence/errors.hpp"
#include "evidence/index_run.hpp"
#include "evidence/search.hpp"
#include "test_support.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace evidence;

namespace {

// A free loopback port: bind to port 0 and read back what the kernel chose.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// xapian-tcpsrv serving one database directory until the object is destroyed.
class TcpServer {
 public:
  TcpServer(const std::string& program, const fs::path& db, int port) {
    const std::string port_s = std::to_string(port);
    std::vector<std::string> args = {program, "--quiet", "--port", port_s, "--interface", "127.0.0.1", db.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // A process group of its own: on SIGTERM xapian-tcpsrv signals its whole group (its
    // per-connection children), which must not include this test process.
    posix_spawnattr_t attr;
    ::posix_spawnattr_init(&attr);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    ::posix_spawnattr_setpgroup(&attr, 0);
    if (::posix_spawn(&pid_, program.c_str(), nullptr, &attr, argv.data(), environ) != 0) pid_ = -1;
    ::posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 100 && pid_ > 0 && !port_open(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~TcpServer() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

const char* tcpsrv = "/usr/bin/xapian-tcpsrv";

RunReport index_into(const fs::path& db, std::size_t shard, std::size_t count) {
  RunOptions o;
  o.db = db;
  o.inputs = {test::source_dir() / "corpus", test::test_data() / "pubmed" / "small_set.xml"};
  o.shard_index = shard;
  o.shard_count = count;
  return run_index(o);
}

std::vector<std::string> ids(const SearchResponse& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.study.id);
  return out;
}

std::vector<std::string> sorted_ids(const SearchResponse& r) {
  auto out = ids(r);
  std::sort(out.begin(), out.end());
  return out;
}

std::string facets(const SearchResponse& r) {
  std::string out;
  for (const auto& [name, counts] : r.facets) {
    out += name + ":";
    for (const auto& c : counts) out += c.value + "=" + std::to_string(c.count) + ",";
    out += ";";
  }
  return out;
}

std::string findings(const SearchResponse& r) {
  std::string out;
  if (!r.summary) return out;
  for (const auto& f : r.summary->findings) {
    out += f.key + " " + direction_name(f.direction) + " " + certainty_level_name(f.certainty) + " [";
    for (const auto& id : f.record_ids) out += id + " ";
    out += "]\n";
  }
  return out;
}

}  // namespace

TEST_CASE("records are split between shards by a stable hash of their id", "[shards]") {
  CHECK(shard_of("LBP001", 1) == 0);
  // Pinned values: a shard assignment must never change between releases or machines.
  CHECK(shard_of("LBP001", 2) == 0);
  CHECK(shard_of("LBP002", 2) == 1);
  CHECK(shard_of("LBP001", 3) == 1);
  CHECK(shard_of("pubmed-31234567", 3) == 2);
  std::size_t in_zero = 0;
  for (int i = 0; i < 1000; ++i) in_zero += shard_of("pubmed-" + std::to_string(1000000 + i), 2) == 0 ? 1 : 0;
  CHECK(in_zero > 400);  // roughly even
  CHECK(in_zero < 600);
  const fs::path a = test::temp_dir("shard-a"), b = test::temp_dir("shard-b");
  const RunReport ra = index_into(a / "idx", 0, 2), rb = index_into(b / "idx", 1, 2);
  REQUIRE(ra.committed);
  REQUIRE(rb.committed);
  CHECK(ra.added + rb.added == ra.records_read - ra.merged);
  CHECK(ra.other_shard == rb.added);
  CHECK(rb.other_shard == ra.added);
  IndexReader shard0(a / "idx");
  for (const auto& s : shard0.all_studies()) CHECK(shard_of(s.id, 2) == 0);
  RunOptions bad;
  bad.db = a / "bad";
  bad.inputs = {test::source_dir() / "corpus"};
  bad.shard_index = 2;
  bad.shard_count = 2;
  CHECK_THROWS_AS(run_index(bad), evidence::Error);
}

TEST_CASE("two shards, both local or one served by xapian-tcpsrv, answer like a single index", "[shards]") {
  if (::access(tcpsrv, X_OK) != 0) {
    WARN("skipped: " << tcpsrv << " is missing (Debian package xapian-tools; scripts/install-deps installs it)");
    return;
  }
  const fs::path root = test::temp_dir("shards");
  REQUIRE(index_into(root / "single", 0, 1).committed);
  REQUIRE(index_into(root / "shard0", 0, 2).committed);
  REQUIRE(index_into(root / "shard1", 1, 2).committed);
  const int port = free_port();
  // tcpsrv serves the shard directory; Xapian follows its stub to the live generation.
  TcpServer server(tcpsrv, root / "shard1", port);
  REQUIRE(server.running());
  REQUIRE(port_open(port));
  fs::create_directories(root / "combined");
  {
    std::ofstream stub(root / "combined" / "XAPIANDB");
    stub << "auto " << (root / "shard0").string() << "\n";
    stub << "remote 127.0.0.1:" << port << "\n";
  }
  // Both shards local as well: that stub takes the faster path (facets and ranking features
  // decoded into shared arrays, over a multi-database), the remote one Xapian's own spies.
  fs::create_directories(root / "local");
  {
    std::ofstream stub(root / "local" / "XAPIANDB");
    stub << "auto " << (root / "shard0").string() << "\n";
    stub << "auto " << (root / "shard1").string() << "\n";
  }
  IndexReader single(root / "single"), combined(root / "combined"), local(root / "local");
  CHECK(combined.doc_count() == single.doc_count());
  CHECK(local.doc_count() == single.doc_count());
  CHECK_FALSE(combined.revision().empty());

  const auto& v = test::vocabulary();
  for (const std::string q : {"electrotherapy chronic LBP efficacy", "exercise chronic low back pain", "acupuncture",
                              "surgery vs physical therapy spinal stenosis", "massage", "intervention:tens design:rct",
                              "chronic low back pain", "opioids sciatica"}) {
    SearchRequest req;
    req.q = q;
    req.per_page = 100;  // every match: each question finds at most 100 records of the corpus
    const SearchResponse one = search(single, v, req);
    REQUIRE(one.found <= 100);
    CHECK_FALSE(ids(one).empty());
    for (IndexReader* sharded : {&combined, &local}) {
      const SearchResponse two = search(*sharded, v, req);
      INFO("query: " << q << (sharded == &local ? " (both shards local)" : " (one shard remote)"));
      CHECK(two.found == one.found);
      CHECK(sorted_ids(two) == sorted_ids(one));
      // The order is identical for single-concept questions. For questions that OR several
      // concepts' forms, Xapian 1.4 weighs some records differently across shards
      // (docs/SCALING.md, "Known difference"), so only the set is compared for those.
      if (std::string(q) == "acupuncture" || std::string(q) == "massage" || std::string(q) == "back pain")
        CHECK(ids(two) == ids(one));
      CHECK(facets(two) == facets(one));
      CHECK(findings(two) == findings(one));
    }
  }
  // Over shards there are no decoded columns, so the records with every concept of the question
  // that the BM25 pool missed are found by a second match; the answer is the single index's.
  {
    SearchRequest req;
    req.q = "exercises for pelvic pain after pregnancy";
    req.per_page = 5;
    req.with_summary = false;
    req.rescore_depth = 5;
    const SearchResponse one = search(single, v, req);
    REQUIRE_FALSE(one.hits.empty());
    CHECK(one.hits[0].study.id == "LBP093");
    for (IndexReader* sharded : {&combined, &local}) {
      INFO((sharded == &local ? "both shards local" : "one shard remote"));
      const SearchResponse two = search(*sharded, v, req);
      REQUIRE_FALSE(two.hits.empty());
      CHECK(two.hits[0].study.id == "LBP093");
    }
    // "A or B": the records comparing A with B join as well (a second set of groups).
    req.q = "lumbar spinal stenosis surgery or physiotherapy";
    req.rescore_depth = 3;
    req.complete_depth = 3;
    const SearchResponse either = search(single, v, req);
    REQUIRE_FALSE(either.hits.empty());
    CHECK(either.hits[0].study.id == "LBP001");
    for (IndexReader* sharded : {&combined, &local}) {
      INFO((sharded == &local ? "both shards local" : "one shard remote"));
      const SearchResponse two = search(*sharded, v, req);
      CHECK(ids(two) == ids(either));
    }
  }
  // A record from each shard is found by id through the combination.
  for (const auto& s : single.all_studies()) {
    REQUIRE(combined.get(s.id));
    CHECK(combined.get(s.id)->title == s.title);
  }
}
