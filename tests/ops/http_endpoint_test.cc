#include "ops/http_endpoint.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace trailsight::ops {
namespace {

class HttpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    events_ = &registry_.AddCounter("trailsight_events_in_total", "Events read.");
    common::Result<std::unique_ptr<HttpEndpoint>> started =
        HttpEndpoint::Start({.host = "127.0.0.1", .port = 0}, registry_, health_);
    ASSERT_TRUE(started) << started.error().message;
    endpoint_ = *std::move(started);
  }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", endpoint_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    return client.Get(path);
  }

  MetricsRegistry registry_;
  ServiceHealth health_;
  Counter* events_ = nullptr;
  std::unique_ptr<HttpEndpoint> endpoint_;
};

TEST_F(HttpEndpointTest, PortZeroPicksAFreePortAndSaysWhich) {
  EXPECT_NE(endpoint_->port(), 0);
  EXPECT_EQ(endpoint_->address(), "127.0.0.1:" + std::to_string(endpoint_->port()));
}

TEST_F(HttpEndpointTest, MetricsServesTheCurrentValuesInTheTextFormat) {
  events_->Add(3);
  httplib::Result first = Get("/metrics");
  events_->Add(4);
  httplib::Result second = Get("/metrics");

  ASSERT_TRUE(first) << httplib::to_string(first.error());
  ASSERT_TRUE(second) << httplib::to_string(second.error());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->get_header_value("Content-Type"), kExpositionContentType);
  EXPECT_NE(first->body.find("\ntrailsight_events_in_total 3\n"), std::string::npos) << first->body;
  EXPECT_NE(second->body.find("\ntrailsight_events_in_total 7\n"), std::string::npos)
      << second->body;
}

TEST_F(HttpEndpointTest, HealthzIs503WithTheReasonUntilTheServiceTicks) {
  httplib::Result starting = Get("/healthz");
  health_.Tick(ServiceHealth::Clock::now(), true);
  httplib::Result healthy = Get("/healthz");
  health_.MarkStopping();
  httplib::Result stopping = Get("/healthz");

  ASSERT_TRUE(starting && healthy && stopping);
  EXPECT_EQ(starting->status, 503);
  EXPECT_EQ(starting->body, "starting: the service loop has not run yet\n");
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "ok\n");
  EXPECT_EQ(stopping->status, 503);
  EXPECT_TRUE(stopping->body.starts_with("stopping")) << stopping->body;
}

TEST_F(HttpEndpointTest, OtherPathsAre404NamingTheRealOnes) {
  httplib::Result response = Get("/");

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_NE(response->body.find("/metrics"), std::string::npos) << response->body;
}

TEST_F(HttpEndpointTest, AnAddressInUseFailsNamingIt) {
  const std::uint16_t taken = endpoint_->port();

  common::Result<std::unique_ptr<HttpEndpoint>> second =
      HttpEndpoint::Start({.host = "127.0.0.1", .port = taken}, registry_, health_);

  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, common::ErrorCode::kIo);
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(taken)), std::string::npos)
      << second.error().message;
}

TEST_F(HttpEndpointTest, StopClosesThePortAndReturns) {
  ASSERT_TRUE(Get("/metrics"));

  endpoint_->Stop();
  endpoint_->Stop();  // idempotent

  EXPECT_FALSE(Get("/metrics"));
}

// A TCP connection to the endpoint on loopback, closed when destroyed.
class Connection {
 public:
  explicit Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 &&
                 ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  // Sends `request` and returns what comes back until the server closes the connection.
  std::string Exchange(std::string_view request) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return "";
    }
    const timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    std::string response;
    char chunk[4096];
    for (ssize_t got; (got = ::recv(fd_, chunk, sizeof(chunk), 0)) > 0;)
      response.append(chunk, got);
    return response;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Fifty clients that connect and say nothing do not hold the workers: /healthz answers at
// once, and so do the silent clients when they finally send their request.
TEST_F(HttpEndpointTest, SilentConnectionsDoNotStarveHealthz) {
  health_.Tick(ServiceHealth::Clock::now(), true);
  std::vector<std::unique_ptr<Connection>> silent;
  for (int i = 0; i < 50; ++i) {
    silent.push_back(std::make_unique<Connection>(endpoint_->port()));
    ASSERT_TRUE(silent.back()->connected()) << "connection " << i;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the server see them

  const auto started = std::chrono::steady_clock::now();
  httplib::Result response = Get("/healthz");
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  const std::string late = silent.front()->Exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(late.starts_with("HTTP/1.1 200")) << late;
  EXPECT_TRUE(late.ends_with("\r\n\r\nok\n")) << late;
}

TEST(HttpEndpointStartTest, StopRightAfterStartDoesNotHang) {
  MetricsRegistry registry;
  ServiceHealth health;
  for (int i = 0; i < 20; ++i) {
    common::Result<std::unique_ptr<HttpEndpoint>> endpoint =
        HttpEndpoint::Start({.host = "127.0.0.1", .port = 0}, registry, health);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    (*endpoint)->Stop();
  }
}

}  // namespace
}  // namespace trailsight::ops
