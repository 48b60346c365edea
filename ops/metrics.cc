#include "ops/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "common/check.h"

namespace trailsight::ops {
namespace {

// A sample value as Prometheus parses it (Go's ParseFloat, plus its spellings of the
// non-finite values).
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);  // shortest text that reads back
  }
}

// HELP text escapes only backslash and newline.
void AppendHelp(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// A label value escapes backslash, double quote and newline.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '"') {
      out += "\\\"";
    } else {
      AppendHelp(out, std::string_view(&c, 1));
    }
  }
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} ", name);
  AppendHelp(out, help);
  fmt::format_to(std::back_inserter(out), "\n# TYPE {} {}\n", name, type);
}

bool ValidNameChar(char c, bool first) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return letter || (!first && c >= '0' && c <= '9');
}

std::unique_ptr<std::atomic<std::uint64_t>[]> ZeroBuckets(std::size_t count) {
  auto buckets = std::make_unique<std::atomic<std::uint64_t>[]>(count);
  for (std::size_t i = 0; i < count; ++i) buckets[i].store(0, std::memory_order_relaxed);
  return buckets;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), buckets_(ZeroBuckets(upper_bounds_.size() + 1)) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    TRAILSIGHT_CHECK(std::isfinite(upper_bounds_[i]), "histogram bound {} is not finite",
                     upper_bounds_[i]);
    TRAILSIGHT_CHECK(i == 0 || upper_bounds_[i - 1] < upper_bounds_[i],
                     "histogram bounds must increase: {} then {}", upper_bounds_[i - 1],
                     upper_bounds_[i]);
  }
}

void Histogram::Observe(double value) {
  const auto bound = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  buckets_[static_cast<std::size_t>(bound - upper_bounds_.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_release);  // after the bucket: see sum()
}

void MetricsRegistry::CheckName(std::string_view name) const {
  bool valid = !name.empty();
  for (std::size_t i = 0; valid && i < name.size(); ++i) valid = ValidNameChar(name[i], i == 0);
  TRAILSIGHT_CHECK(valid, "metric name \"{}\" is not a Prometheus name", name);
  for (const Family& family : families_) {
    TRAILSIGHT_CHECK(family.name != name, "metric \"{}\" registered twice", name);
  }
}

GaugeFamily::GaugeFamily(std::vector<std::string> label_names)
    : label_names_(std::move(label_names)) {}

void GaugeFamily::BeginRound() {
  std::lock_guard lock(mutex_);
  for (Series& series : series_) series.set_this_round = false;
}

void GaugeFamily::Set(std::span<const std::string_view> label_values, double value) {
  TRAILSIGHT_CHECK(label_values.size() == label_names_.size(), "{} label values for {} label names",
                   label_values.size(), label_names_.size());
  std::lock_guard lock(mutex_);
  for (Series& series : series_) {
    if (std::equal(series.label_values.begin(), series.label_values.end(), label_values.begin())) {
      series.value = value;
      series.set_this_round = true;
      return;
    }
  }
  series_.push_back({{label_values.begin(), label_values.end()}, value, true});
}

void GaugeFamily::EndRound() {
  std::lock_guard lock(mutex_);
  std::erase_if(series_, [](const Series& series) { return !series.set_this_round; });
}

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help) {
  CheckName(name);
  TRAILSIGHT_CHECK(name.ends_with("_total"), "counter \"{}\" must end in _total", name);
  auto counter = std::make_unique<Counter>();
  Counter& added = *counter;
  families_.push_back({std::string(name), std::string(help), std::move(counter)});
  return added;
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help) {
  CheckName(name);
  auto gauge = std::make_unique<Gauge>();
  Gauge& added = *gauge;
  families_.push_back({std::string(name), std::string(help), std::move(gauge)});
  return added;
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> upper_bounds) {
  CheckName(name);
  auto histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  Histogram& added = *histogram;
  families_.push_back({std::string(name), std::string(help), std::move(histogram)});
  return added;
}

GaugeFamily& MetricsRegistry::AddGaugeFamily(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names) {
  CheckName(name);
  for (const std::string& label : label_names) {
    bool valid = !label.empty();
    for (std::size_t i = 0; valid && i < label.size(); ++i) {
      valid = label[i] != ':' && ValidNameChar(label[i], i == 0);
    }
    TRAILSIGHT_CHECK(valid, "label name \"{}\" of \"{}\" is not a Prometheus label name", label,
                     name);
  }
  auto family = std::make_unique<GaugeFamily>(std::move(label_names));
  GaugeFamily& added = *family;
  families_.push_back({std::string(name), std::string(help), std::move(family)});
  return added;
}

std::string MetricsRegistry::Render() const {
  std::string out;
  auto append = std::back_inserter(out);
  for (const Family& family : families_) {
    if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&family.metric)) {
      AppendHeader(out, family.name, family.help, "counter");
      fmt::format_to(append, "{} {}\n", family.name, (*counter)->value());
    } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&family.metric)) {
      AppendHeader(out, family.name, family.help, "gauge");
      fmt::format_to(append, "{} ", family.name);
      AppendValue(out, (*gauge)->value());
      out += '\n';
    } else if (const auto* gauges = std::get_if<std::unique_ptr<GaugeFamily>>(&family.metric)) {
      AppendHeader(out, family.name, family.help, "gauge");
      const std::vector<std::string>& labels = (*gauges)->label_names();
      (*gauges)->ForEach([&](const GaugeFamily::Series& series) {
        out += family.name;
        for (std::size_t i = 0; i < labels.size(); ++i) {
          out += i == 0 ? '{' : ',';
          fmt::format_to(append, "{}=\"", labels[i]);
          AppendLabelValue(out, series.label_values[i]);
          out += '"';
        }
        if (!labels.empty()) out += '}';
        out += ' ';
        AppendValue(out, series.value);
        out += '\n';
      });
    } else {
      const Histogram& histogram = *std::get<std::unique_ptr<Histogram>>(family.metric);
      AppendHeader(out, family.name, family.help, "histogram");
      const double sum = histogram.sum();  // first: the buckets then cover it
      std::uint64_t cumulative = 0;
      const std::vector<double>& bounds = histogram.upper_bounds();
      for (std::size_t i = 0; i < bounds.size(); ++i) {
        cumulative += histogram.bucket(i);
        fmt::format_to(append, "{}_bucket{{le=\"", family.name);
        AppendValue(out, bounds[i]);
        fmt::format_to(append, "\"}} {}\n", cumulative);
      }
      cumulative += histogram.bucket(bounds.size());
      fmt::format_to(append, "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum ", family.name, cumulative,
                     family.name);
      AppendValue(out, sum);
      fmt::format_to(append, "\n{}_count {}\n", family.name, cumulative);
    }
  }
  return out;
}

}  // namespace trailsight::ops
