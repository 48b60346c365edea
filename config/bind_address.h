#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace trailsight::config {

// Where a server listens: an address of this machine and a port.
struct BindAddress {
  std::string host = "127.0.0.1";  // loopback: reachable from this machine only
  std::uint16_t port = 9464;       // 0: the system picks a free port
  bool operator==(const BindAddress&) const = default;
};

// Parses "host:port", with an IPv6 host in brackets ("[::1]:9464"). The host is a name or
// an address ("0.0.0.0" and "[::]" mean every interface); the port is 0 to 65535. Fails with
// kInvalidArgument and a message that says what is wrong and shows the form, without a
// field name: the caller prefixes "metrics.bind" or "--metrics-bind".
common::Result<BindAddress> ParseBindAddress(std::string_view text);

// The text ParseBindAddress() reads back: "127.0.0.1:9464", "[::1]:9464".
std::string FormatBindAddress(const BindAddress& address);

}  // namespace trailsight::config
