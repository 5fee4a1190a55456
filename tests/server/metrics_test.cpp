#include <thread>

#include <gtest/gtest.h>

#include "attestd/server/metrics.h"

namespace attestd::server {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInTextFormat) {
  MetricsRegistry r;
  auto& verdicts = r.counter_family("attestd_verdicts_total", "Verdicts by reason", {"reason"});
  verdicts.with({"tpm.quote.nonce_mismatch"}).inc();
  verdicts.with({"tpm.quote.nonce_mismatch"}).inc(2);
  verdicts.with({"a\"b\\c\nd"}).inc();
  r.gauge("attestd_queue", "Queue\nlength").set(-4);
  auto& h = r.histogram("attestd_batch_size", "Rows per batch", {1, 10, 100});
  h.observe(1);
  h.observe(5);
  h.observe(500);
  EXPECT_EQ(r.render(),
            "# HELP attestd_batch_size Rows per batch\n"
            "# TYPE attestd_batch_size histogram\n"
            "attestd_batch_size_bucket{le=\"1\"} 1\n"
            "attestd_batch_size_bucket{le=\"10\"} 2\n"
            "attestd_batch_size_bucket{le=\"100\"} 2\n"
            "attestd_batch_size_bucket{le=\"+Inf\"} 3\n"
            "attestd_batch_size_sum 506\n"
            "attestd_batch_size_count 3\n"
            "# HELP attestd_queue Queue\\nlength\n"
            "# TYPE attestd_queue gauge\n"
            "attestd_queue -4\n"
            "# HELP attestd_verdicts_total Verdicts by reason\n"
            "# TYPE attestd_verdicts_total counter\n"
            "attestd_verdicts_total{reason=\"a\\\"b\\\\c\\nd\"} 1\n"
            "attestd_verdicts_total{reason=\"tpm.quote.nonce_mismatch\"} 3\n");
}

TEST(Metrics, SameNameSameShapeIsShared) {
  MetricsRegistry r;
  auto& a = r.counter_family("x_total", "x", {"l"});
  auto& b = r.counter_family("x_total", "x", {"l"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.counter_family("x_total", "x", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.gauge_family("x_total", "x", {"l"}), std::invalid_argument);
  EXPECT_THROW(r.counter("bad name", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter_family("y", "y", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "h", {2, 1}), std::invalid_argument);
  EXPECT_THROW(a.with({"1", "2"}), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry r;
  auto& f = r.counter_family("c_total", "c", {"t"});
  auto& h = r.histogram("h_seconds", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.with({std::to_string(i % 4)}).inc();
        h.observe(0.001 * t);
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t total = 0;
  f.for_each([&](const auto&, const Counter& c) { total += c.value(); });
  EXPECT_EQ(total, 80000U);
  EXPECT_EQ(h.count(), 80000U);
}

}  // namespace
}  // namespace attestd::server
