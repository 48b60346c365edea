#include "config/bind_address.h"

#include <fmt/format.h>

#include <charconv>

namespace trailsight::config {

common::Result<BindAddress> ParseBindAddress(std::string_view text) {
  const auto invalid = [text](std::string_view why) {
    return common::Error{
        common::ErrorCode::kInvalidArgument,
        fmt::format("\"{}\" {}: use host:port, e.g. 127.0.0.1:9464 or [::1]:9464", text, why)};
  };
  std::string_view host;
  std::string_view rest;  // ":port"
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("has an unbalanced bracket");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid("has no port");
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (host.find(':') != std::string_view::npos)
      return invalid("has an IPv6 host without brackets");
  }
  if (!rest.starts_with(':')) return invalid("has no port");
  const std::string_view port_text = rest.substr(1);
  if (host.empty()) return invalid("has no host");
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return invalid("has no port number from 0 to 65535");
  }
  return BindAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string FormatBindAddress(const BindAddress& address) {
  return address.host.find(':') == std::string::npos
             ? fmt::format("{}:{}", address.host, address.port)
             : fmt::format("[{}]:{}", address.host, address.port);
}

}  // namespace trailsight::config
