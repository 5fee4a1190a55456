#include "attestd/server/request.h"

#include <algorithm>
#include <cctype>

namespace attestd::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::optional<std::string_view> find(const Fields& fields, std::string_view name, bool case_insensitive) {
  for (const auto& [k, v] : fields) {
    if (case_insensitive ? iequals(k, name) : k == name) return std::string_view(v);
  }
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const { return find(headers, name, true); }
std::optional<std::string_view> Request::param(std::string_view name) const { return find(path_params, name, false); }
std::optional<std::string_view> Request::query_param(std::string_view name) const { return find(query, name, false); }

bool Request::accepts_cbor() const {
  // A substring test is enough here: the only effect is choosing between two encodings the
  // client can both read, and a q=0 listing of CBOR is not something clients send.
  auto accept = header("accept");
  if (!accept) return false;
  std::string lower(*accept);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("application/cbor") != std::string::npos;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      // Two hex digits must follow: checked against the remaining length, not i + 2.
      if (in.size() - i < 3) return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void split_target(std::string_view target, std::string& path, Fields& query) {
  query.clear();
  auto q = target.find('?');
  path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  // A fragment is never sent by clients; drop it should one arrive.
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    // A malformed escape drops that parameter rather than the request: handlers that need the
    // parameter will find it missing and say so.
    if (key && value) query.emplace_back(std::move(*key), std::move(*value));
  }
}

}  // namespace attestd::server
