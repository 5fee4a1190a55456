// A small Prometheus text-format registry: counters, gauges and fixed-bucket histograms.
//
// Updating a metric is a relaxed atomic add; finding the child of a labelled family takes a
// shared lock. Metrics live as long as the registry; references stay valid.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace attestd::server {

class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  [[nodiscard]] int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value) noexcept;
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  // Count of observations <= bounds()[i] (not cumulative); index bounds().size() is the +Inf bucket.
  [[nodiscard]] uint64_t bucket(size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> default_latency_buckets();

enum class MetricType { counter, gauge, histogram };

// A metric name with its label names; with() finds or creates the child for label values.
template <typename T>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

  // The child for these label values, created on first use. The number of values must equal
  // the number of label names (a programming error otherwise: std::invalid_argument).
  T& with(std::initializer_list<std::string_view> values) { return with(std::vector<std::string_view>(values)); }
  T& with(const std::vector<std::string_view>& values);

  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls f(label_values, child) for each child, in label order, under the shared lock.
  template <typename F>
  void for_each(F&& f) const {
    std::shared_lock lock(mutex_);
    for (const auto& [key, child] : children_) f(key, *child);
  }

 private:
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, std::less<>> children_;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family, or returns the one already registered under that name when type and
  // label names agree (so independent components may ask for the same metric). Names and label
  // names must match the Prometheus grammar; violations throw std::invalid_argument, since they
  // are programming errors found at startup.
  Family<Counter>& counter_family(std::string name, std::string help, std::vector<std::string> labels);
  Family<Gauge>& gauge_family(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>& histogram_family(std::string name, std::string help, std::vector<std::string> labels,
                                      std::vector<double> bounds = default_latency_buckets());

  // Unlabelled shorthands.
  Counter& counter(std::string name, std::string help) { return counter_family(std::move(name), std::move(help), {}).with({}); }
  Gauge& gauge(std::string name, std::string help) { return gauge_family(std::move(name), std::move(help), {}).with({}); }
  Histogram& histogram(std::string name, std::string help, std::vector<double> bounds = default_latency_buckets()) {
    return histogram_family(std::move(name), std::move(help), {}, std::move(bounds)).with({});
  }

  // The Prometheus text exposition format 0.0.4, families sorted by name.
  [[nodiscard]] std::string render() const;

 private:
  struct Entry;
  Entry& find_or_add(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
                     std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> families_;
};

}  // namespace attestd::server
