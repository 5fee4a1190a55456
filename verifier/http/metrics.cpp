#include "attestd/server/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>

namespace attestd::server {
namespace {

// Prometheus data model: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names without ':' and
// not starting with "__" (reserved).
bool valid_name(std::string_view s, bool label) {
  if (s.empty()) return false;
  if (label && s.starts_with("__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void escape_label(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void escape_help(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

// {a="x",b="y"} with an optional extra label (le for buckets); "" when there are none.
std::string labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    escape_label(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::ranges::is_sorted(bounds_) || std::ranges::adjacent_find(bounds_) != bounds_.end()) {
    throw std::invalid_argument("histogram bounds must be strictly increasing");
  }
}

void Histogram::observe(double value) noexcept {
  // Buckets are few (about a dozen): a linear scan beats a binary search's branches.
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename T>
T& Family<T>::with(const std::vector<std::string_view>& values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(fmt::format("metric family wants {} label values, got {}", label_names_.size(),
                                            values.size()));
  }
  {
    std::shared_lock lock(mutex_);
    // Heterogeneous lookup would need a comparator over string_view vectors; a small copy of
    // the key is cheaper than the complexity and only happens on this path.
    std::vector<std::string> key(values.begin(), values.end());
    if (auto it = children_.find(key); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  std::vector<std::string> key(values.begin(), values.end());
  auto [it, inserted] = children_.try_emplace(std::move(key));
  if (inserted) {
    if constexpr (std::is_same_v<T, Histogram>) {
      it->second = std::make_unique<Histogram>(bounds_);
    } else {
      it->second = std::make_unique<T>();
    }
  }
  return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct MetricsRegistry::Entry {
  std::string help;
  MetricType type;
  std::variant<std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>, std::unique_ptr<Family<Histogram>>>
      family;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry& MetricsRegistry::find_or_add(std::string name, std::string help, MetricType type,
                                                     std::vector<std::string> label_names,
                                                     std::vector<double> bounds) {
  if (!valid_name(name, false)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& l : label_names) {
    if (!valid_name(l, true) || (type == MetricType::histogram && l == "le")) {
      throw std::invalid_argument(fmt::format("invalid label name '{}' for metric {}", l, name));
    }
  }
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    Entry& e = *it->second;
    const std::vector<std::string>* existing = nullptr;
    std::visit([&](const auto& f) { existing = &f->label_names(); }, e.family);
    if (e.type != type || *existing != label_names) {
      throw std::invalid_argument("metric registered twice with different type or labels: " + name);
    }
    return e;
  }
  auto e = std::make_unique<Entry>();
  e->help = std::move(help);
  e->type = type;
  switch (type) {
    case MetricType::counter: e->family = std::make_unique<Family<Counter>>(std::move(label_names), std::vector<double>{}); break;
    case MetricType::gauge: e->family = std::make_unique<Family<Gauge>>(std::move(label_names), std::vector<double>{}); break;
    case MetricType::histogram:
      // Validate the bounds once here rather than at the first with().
      Histogram check(bounds);
      e->family = std::make_unique<Family<Histogram>>(std::move(label_names), std::move(bounds));
      break;
  }
  return *families_.emplace(std::move(name), std::move(e)).first->second;
}

Family<Counter>& MetricsRegistry::counter_family(std::string name, std::string help, std::vector<std::string> labels) {
  return *std::get<0>(find_or_add(std::move(name), std::move(help), MetricType::counter, std::move(labels), {}).family);
}

Family<Gauge>& MetricsRegistry::gauge_family(std::string name, std::string help, std::vector<std::string> labels) {
  return *std::get<1>(find_or_add(std::move(name), std::move(help), MetricType::gauge, std::move(labels), {}).family);
}

Family<Histogram>& MetricsRegistry::histogram_family(std::string name, std::string help,
                                                     std::vector<std::string> labels, std::vector<double> bounds) {
  return *std::get<2>(
      find_or_add(std::move(name), std::move(help), MetricType::histogram, std::move(labels), std::move(bounds))
          .family);
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : families_) {
    out += "# HELP " + name + ' ';
    escape_help(out, entry->help);
    out += '\n';
    switch (entry->type) {
      case MetricType::counter: {
        out += "# TYPE " + name + " counter\n";
        const auto& f = *std::get<0>(entry->family);
        f.for_each([&](const std::vector<std::string>& values, const Counter& c) {
          out += name + labels(f.label_names(), values) + ' ' + std::to_string(c.value()) + '\n';
        });
        break;
      }
      case MetricType::gauge: {
        out += "# TYPE " + name + " gauge\n";
        const auto& f = *std::get<1>(entry->family);
        f.for_each([&](const std::vector<std::string>& values, const Gauge& g) {
          out += name + labels(f.label_names(), values) + ' ' + std::to_string(g.value()) + '\n';
        });
        break;
      }
      case MetricType::histogram: {
        out += "# TYPE " + name + " histogram\n";
        const auto& f = *std::get<2>(entry->family);
        f.for_each([&](const std::vector<std::string>& values, const Histogram& h) {
          // Read racing observers: each number is consistent, the set may be a few apart,
          // which Prometheus tolerates; cumulative counts stay monotonic by construction.
          uint64_t cumulative = 0;
          for (size_t i = 0; i <= h.bounds().size(); ++i) {
            cumulative += h.bucket(i);
            std::string le = i < h.bounds().size() ? format_double(h.bounds()[i]) : "+Inf";
            out += name + "_bucket" + labels(f.label_names(), values, "le", le) + ' ' + std::to_string(cumulative) + '\n';
          }
          out += name + "_sum" + labels(f.label_names(), values) + ' ' + format_double(h.sum()) + '\n';
          out += name + "_count" + labels(f.label_names(), values) + ' ' + std::to_string(cumulative) + '\n';
        });
        break;
      }
    }
  }
  return out;
}

}  // namespace attestd::server
