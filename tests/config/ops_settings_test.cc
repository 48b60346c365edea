// The `metrics:` and `logging:` sections, and the bind address they share with the
// `--metrics-bind` flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "config/bind_address.h"
#include "config/config.h"

namespace trailsight::config {
namespace {

TEST(ParseBindAddressTest, ReadsHostAndPort) {
  const common::Result<BindAddress> address = ParseBindAddress("0.0.0.0:9100");

  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, (BindAddress{"0.0.0.0", 9100}));
}

TEST(ParseBindAddressTest, ReadsABracketedIpv6HostAndPortZero) {
  const common::Result<BindAddress> address = ParseBindAddress("[::1]:0");

  ASSERT_TRUE(address) << address.error().message;
  EXPECT_EQ(*address, (BindAddress{"::1", 0}));
  EXPECT_EQ(FormatBindAddress(*address), "[::1]:0");
}

TEST(ParseBindAddressTest, SaysWhatIsWrongAndShowsTheForm) {
  for (const auto& [text, why] : std::initializer_list<std::pair<std::string, std::string>>{
           {"localhost", "has no port"},
           {"[::1]", "has no port"},
           {":9464", "has no host"},
           {"::1:9464", "IPv6 host without brackets"},
           {"[::1:9464", "unbalanced bracket"},
           {"localhost:http", "no port number from 0 to 65535"},
           {"localhost:65536", "no port number from 0 to 65535"},
           {"localhost:-1", "no port number from 0 to 65535"}}) {
    const common::Result<BindAddress> address = ParseBindAddress(text);

    ASSERT_FALSE(address) << text;
    EXPECT_EQ(address.error().code, common::ErrorCode::kInvalidArgument);
    EXPECT_NE(address.error().message.find(why), std::string::npos) << address.error().message;
    EXPECT_NE(address.error().message.find("use host:port"), std::string::npos)
        << address.error().message;
  }
}

TEST(OpsSettingsTest, DefaultsServeMetricsOnLoopbackWithTextLogs) {
  const common::Result<Config> config = LoadConfigText("", "empty.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.bind, (BindAddress{"127.0.0.1", 9464}));
  EXPECT_EQ(config->logging.format, LogFormat::kText);
}

TEST(OpsSettingsTest, ReadsTheMetricsAndLoggingSections) {
  const common::Result<Config> config = LoadConfigText(
      "metrics:\n  enabled: false\n  bind: \"[::]:9100\"\nlogging:\n  format: json\n", "t.yaml");

  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.bind, (BindAddress{"::", 9100}));
  EXPECT_EQ(config->logging.format, LogFormat::kJson);
}

TEST(OpsSettingsTest, NamesTheFieldLineAndProblem) {
  const common::Result<Config> config = LoadConfigText(
      "metrics:\n  enabled: maybe\n  bind: localhost\nlogging:\n  format: yaml\n", "t.yaml");

  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            "t.yaml:2:12: metrics.enabled: must be true or false\n"
            "t.yaml:3:9: metrics.bind: \"localhost\" has no port: use host:port, e.g. "
            "127.0.0.1:9464 or [::1]:9464\n"
            "t.yaml:5:11: logging.format: must be \"text\" or \"json\"");
}

TEST(OpsSettingsTest, TheDocumentedExampleHasTheDefaults) {
  const std::filesystem::path path =
      std::filesystem::path(TRAILSIGHT_SOURCE_DIR) / "config" / "trailsight.yaml";

  const common::Result<Config> config = LoadConfigFile(path);

  ASSERT_TRUE(config) << config.error().message;
  const Config defaults;
  EXPECT_EQ(config->metrics.enabled, defaults.metrics.enabled);
  EXPECT_EQ(config->metrics.bind, defaults.metrics.bind);
  EXPECT_EQ(config->logging.format, defaults.logging.format);
}

}  // namespace
}  // namespace trailsight::config
