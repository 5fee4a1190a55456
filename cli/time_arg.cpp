#include "time_arg.h"

#include <charconv>

namespace attestd::cli {

namespace {

bool read_int(std::string_view text, size_t pos, size_t len, int& out) {
  if (pos + len > text.size()) return false;
  const char* first = text.data() + pos;
  const auto [ptr, ec] = std::from_chars(first, first + len, out);
  return ec == std::errc() && ptr == first + len;
}

}  // namespace

std::expected<std::chrono::sys_seconds, std::string> parse_time_arg(std::string_view text) {
  using namespace std::chrono;
  if (text.empty()) return time_point_cast<seconds>(system_clock::now());
  const std::string bad = "time must be RFC 3339, e.g. 2024-06-01T00:00:00Z, not \"" + std::string(text) + "\"";
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_int(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !read_int(text, 5, 2, mo) || text[7] != '-' ||
      !read_int(text, 8, 2, d)) {
    return std::unexpected(bad);
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::unexpected(bad);
  seconds offset{0};
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text.size() < 19 || !read_int(text, 11, 2, h) ||
        text[13] != ':' || !read_int(text, 14, 2, mi) || text[16] != ':' || !read_int(text, 17, 2, s) || h > 23 ||
        mi > 59 || s > 60) {
      return std::unexpected(bad);
    }
    std::string_view zone = text.substr(19);
    if (zone.starts_with('.')) {  // fractional seconds are dropped
      zone.remove_prefix(1);
      while (!zone.empty() && zone.front() >= '0' && zone.front() <= '9') zone.remove_prefix(1);
    }
    if (zone == "Z" || zone == "z") {
      offset = seconds{0};
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
      int oh = 0, om = 0;
      if (!read_int(zone, 1, 2, oh) || !read_int(zone, 4, 2, om)) return std::unexpected(bad);
      offset = hours{oh} + minutes{om};
      if (zone[0] == '-') offset = -offset;
    } else {
      return std::unexpected(bad);
    }
  }
  return sys_days{date} + hours{h} + minutes{mi} + seconds{s} - offset;
}

}  // namespace attestd::cli
