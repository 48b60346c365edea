#include "ops/http_endpoint.h"

#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace trailsight::ops {
namespace {

std::string FormatAddress(const std::string& host, std::uint16_t port) {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

}  // namespace

common::Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const HttpEndpointOptions& options, const MetricsRegistry& metrics,
    const ServiceHealth& health) {
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server->set_keep_alive_max_count(1);
  server->set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(kReadTimeout).count());
  server->set_read_timeout(kReadTimeout);
  server->set_write_timeout(kWriteTimeout);
  server->set_payload_max_length(kMaxRequestBody);
  // cpp-httplib's default adds SO_REUSEPORT, which would let a second instance bind the same
  // port and take half the scrapes; SO_REUSEADDR alone still allows a quick restart.
  // TCP_DEFER_ACCEPT: the kernel hands a connection over only once its request has arrived,
  // so connections that stay silent wait in the kernel instead of in a worker.
  // The listening socket is kept to raise its backlog once cpp-httplib has listened on it
  // (shared with the callback, which the server keeps).
  auto listening = std::make_shared<socket_t>(INVALID_SOCKET);
  server->set_socket_options([listening](socket_t socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    const int defer_seconds = static_cast<int>(kSilentConnectionHeld.count());
    ::setsockopt(socket, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof(defer_seconds));
    *listening = socket;
  });
  server->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics.Render(), std::string(kExpositionContentType));
  });
  server->Get("/healthz", [&health](const httplib::Request&, httplib::Response& response) {
    const std::string problem = health.Problem(ServiceHealth::Clock::now());
    if (!problem.empty()) response.status = 503;
    response.set_content(problem.empty() ? "ok\n" : problem + "\n", "text/plain; charset=utf-8");
  });
  // Runs for every status >= 400, so it leaves the 503 of /healthz alone.
  server->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (response.status != 404) return httplib::Server::HandlerResponse::Unhandled;
        response.set_content("not found: the paths are /metrics and /healthz\n",
                             "text/plain; charset=utf-8");
        return httplib::Server::HandlerResponse::Handled;
      }));

  errno = 0;
  int port = options.port;
  const bool bound = port == 0 ? (port = server->bind_to_any_port(options.host)) > 0
                               : server->bind_to_port(options.host, port);
  if (!bound) {
    const int error = errno;
    return common::Error{common::ErrorCode::kIo,
                         fmt::format("metrics endpoint: cannot listen on {}: {}",
                                     FormatAddress(options.host, options.port),
                                     error != 0 ? std::strerror(error) : "cannot bind")};
  }
  // Debian's cpp-httplib listens with a backlog of 5, and silent connections waiting in the
  // kernel count against it: beyond it the kernel answers with SYN cookies, whose connections
  // skip TCP_DEFER_ACCEPT and reach the workers. Listening again only sets the backlog.
  if (*listening != INVALID_SOCKET) ::listen(*listening, kListenBacklog);
  return std::unique_ptr<HttpEndpoint>(
      new HttpEndpoint(std::move(server), options.host, static_cast<std::uint16_t>(port)));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<httplib::Server> server, std::string host,
                           std::uint16_t port)
    : server_(std::move(server)), host_(std::move(host)), port_(port) {
  listener_ = std::jthread([this] {
    server_->listen_after_bind();
    listener_done_.store(true);
  });
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::Stop() {
  if (!listener_.joinable()) return;
  // cpp-httplib's stop() does nothing until the listener runs: wait for it (it starts at
  // once; it ends early only if the socket failed).
  while (!server_->is_running() && !listener_done_.load()) std::this_thread::yield();
  server_->stop();
  listener_.join();
}

std::string HttpEndpoint::address() const { return FormatAddress(host_, port_); }

}  // namespace trailsight::ops
