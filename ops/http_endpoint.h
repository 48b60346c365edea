#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "ops/health.h"
#include "ops/metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace trailsight::ops {

struct HttpEndpointOptions {
  std::string host = "127.0.0.1";  // an address of this machine; "0.0.0.0" or "::" for all
  std::uint16_t port = 9464;       // 0: the system picks a free port, see HttpEndpoint::port()
};

// The operations endpoint, plain HTTP/1.1 on one address:
//   GET /metrics  200, the registry's exposition text (Content-Type kExpositionContentType);
//   GET /healthz  200 "ok" while `health` has no problem, else 503 and the problem;
//   anything else 404 naming the two paths.
// Each connection serves one request and is closed. Clients that connect and stay silent
// cannot starve /healthz: the kernel holds a silent connection for kSilentConnectionHeld
// before handing it over (TCP_DEFER_ACCEPT), and a worker then waits at most kReadTimeout
// for a request, which must arrive whole within it; bodies beyond kMaxRequestBody are refused.
// The kernel holds up to kListenBacklog connections waiting (silent ones too); beyond that it
// answers with SYN cookies, whose connections reach the workers at once.
//
// Threads: a listener thread and kWorkers handler threads, all owned by the endpoint
// (cpp-httplib's server and thread pool), started by Start() and joined by Stop(). The
// handlers only read `metrics` and `health`, which must outlive the endpoint.
class HttpEndpoint {
 public:
  static constexpr std::size_t kWorkers = 4;
  static constexpr std::chrono::seconds kSilentConnectionHeld{10};
  static constexpr std::chrono::milliseconds kReadTimeout{1000};
  static constexpr std::chrono::seconds kWriteTimeout{5};
  static constexpr std::size_t kMaxRequestBody = 4096;
  static constexpr int kListenBacklog = 1024;

  // Binds the address and starts serving. Fails with kIo naming the address when it cannot
  // be bound (in use, not an address of this machine, a privileged port).
  static common::Result<std::unique_ptr<HttpEndpoint>> Start(const HttpEndpointOptions& options,
                                                             const MetricsRegistry& metrics,
                                                             const ServiceHealth& health);
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;
  ~HttpEndpoint();  // Stop()

  // Closes the listening socket, lets requests in progress finish, joins the threads.
  // Idempotent.
  void Stop();

  // The port being served: the one asked for, or the one the system picked for port 0.
  std::uint16_t port() const { return port_; }
  // "host:port" ("[host]:port" for an IPv6 address), for logs.
  std::string address() const;

 private:
  HttpEndpoint(std::unique_ptr<httplib::Server> server, std::string host, std::uint16_t port);

  std::unique_ptr<httplib::Server> server_;
  const std::string host_;
  const std::uint16_t port_;
  std::atomic<bool> listener_done_{false};
  std::jthread listener_;
};

}  // namespace trailsight::ops
