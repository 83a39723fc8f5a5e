// hello_server: the HTTP ceiling. A cpp-httplib hello world (GET / returns a small JSON) with
// evidence-server's connection settings (server/src/api.cpp): the same thread pool size,
// keep-alive max count 1000, TCP_NODELAY, 10 s read/write timeouts. Whatever bench/http_bench.sh
// measures here is the most evidence-server could reach on this machine with this client.
//
//   hello_server [--host 127.0.0.1] [--port 8081] [--threads N]     (--port 0 picks a free one)
//   bench/http_bench.sh http://127.0.0.1:8081 hello $(pgrep -n hello_server)
#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>
#include <string>
#include <thread>

namespace {

int usage() {
  std::fprintf(stderr, "usage: hello_server [--host 127.0.0.1] [--port 8081] [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 8081;
  // evidence-server's default: 4 workers per core, at least 8.
  unsigned threads = std::max(64u, 8 * std::thread::hardware_concurrency());  // as evidence-server
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--host" && i + 1 < argc)
      host = argv[++i];
    else if (a == "--port" && i + 1 < argc)
      port = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    else if (a == "-h" || a == "--help")
      return usage(), 0;
    else
      return std::fprintf(stderr, "hello_server: unknown argument %s\n", a.c_str()), usage();
  }
  if (port < 0 || port > 65535) return usage();

  // SIGTERM/SIGINT are taken by one thread with sigwait, which stops the server cleanly.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  httplib::Server svr;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(1000);
  svr.set_tcp_nodelay(true);
  svr.set_read_timeout(10, 0);
  svr.set_write_timeout(10, 0);
  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"hello":"world"})", "application/json");
  });

  const int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "hello_server: cannot listen on %s:%d\n", host.c_str(), port);
    return 2;
  }
  std::printf("hello_server listening on http://%s:%d (%u threads)\n", host.c_str(), bound, threads);
  std::fflush(stdout);
  std::thread waiter([&svr, set] {
    int sig = 0;
    sigwait(&set, &sig);
    svr.stop();
  });
  const bool ok = svr.listen_after_bind();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return ok ? 0 : 2;
}
