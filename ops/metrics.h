#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trailsight::ops {

// A count that only goes up: events read, findings published. Its name ends in `_total`.
// Updates are relaxed atomic operations: no lock, no allocation. Any thread may update or
// read it; the service loop updates, the HTTP endpoint reads.
class Counter {
 public:
  // Adds `amount` to the count.
  void Add(std::uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  // Sets the count to `total`, a count kept by another component (the detector's, the
  // Kafka source's); the caller passes totals that never decrease.
  void Set(std::uint64_t total) { value_.store(total, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down: keys held, consumer lag, a snapshot's age. NaN means
// "not known now" and is exposed as NaN. Same threading as Counter.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Gauges of one name told apart by the values of fixed labels, for things that come and go:
// one series per partition held ({topic="cloudtrail",partition="3"}). An update is a round:
// BeginRound(), Set() for every series that exists now, EndRound(), which drops the series
// not set since BeginRound(). Set() allocates only for a series it has not seen (a scan of
// the series, tens of them, finds the others). A mutex guards the series: the service loop
// updates, the HTTP endpoint renders.
class GaugeFamily {
 public:
  explicit GaugeFamily(std::vector<std::string> label_names);

  void BeginRound();
  // `label_values` holds one value per label name, in their order (checked).
  void Set(std::span<const std::string_view> label_values, double value);
  void EndRound();

  struct Series {
    std::vector<std::string> label_values;
    double value = 0.0;
    bool set_this_round = true;
  };
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls `visit(series)` for each series, in the order they were first set, under the lock.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const Series& series : series_) visit(series);
  }

 private:
  const std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::vector<Series> series_;  // guarded by mutex_
};

// Observations counted in fixed buckets, with their sum: durations. Each bucket has an
// inclusive upper bound; the last bucket (+Inf) takes everything above the largest bound.
// Observe() is lock-free and allocation-free (a scan of the bounds, two atomic adds), and
// any thread may call it. A scrape concurrent with Observe() may see an observation in its
// bucket before it reaches the sum (never the other way round); the next scrape sees both.
class Histogram {
 public:
  // `upper_bounds` must be finite and strictly increasing (checked: a bad list is a bug).
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations in bucket `index` alone (not cumulative); index upper_bounds().size() is
  // the +Inf bucket.
  std::uint64_t bucket(std::size_t index) const {
    return buckets_[index].load(std::memory_order_relaxed);
  }
  // Reads the sum with acquire ordering: the buckets read after it hold at least every
  // observation the sum includes.
  double sum() const { return sum_.load(std::memory_order_acquire); }

 private:
  const std::vector<double> upper_bounds_;
  const std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

// The set of named metrics one process exposes, rendered in the Prometheus text exposition
// format, version 0.0.4 (`# HELP`, `# TYPE`, then the samples; a histogram as cumulative
// `_bucket{le="..."}` samples ending with le="+Inf", then `_sum` and `_count`).
//
// Names follow Prometheus's rules ([a-zA-Z_:][a-zA-Z0-9_:]*), are unique, and a counter's
// ends in `_total`; a name that breaks them is a bug and aborts (TRAILSIGHT_CHECK).
//
// Thread safety: register every metric before the registry is shared with another thread
// (the HTTP endpoint); from then on the metrics' own methods and Render() may be called
// from any thread. The references Add*() return stay valid as long as the registry.
class MetricsRegistry {
 public:
  Counter& AddCounter(std::string_view name, std::string_view help);
  Gauge& AddGauge(std::string_view name, std::string_view help);
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> upper_bounds);
  // Label names follow the metric names' rules, without colons (checked).
  GaugeFamily& AddGaugeFamily(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names);

  // Returns every metric's current value as exposition text, in registration order. Each
  // value is read once, so a histogram's +Inf bucket always equals its `_count`.
  std::string Render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
                 std::unique_ptr<GaugeFamily>>
        metric;
  };
  void CheckName(std::string_view name) const;

  std::vector<Family> families_;
};

// The media type of Render()'s text, for the Content-Type header.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace trailsight::ops
