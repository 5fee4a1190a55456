#include "normalise.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace attestd::access_test {

namespace {

// Members whose values are made fresh for every object or request.
const std::set<std::string, std::less<>> kVolatile = {
    "request_id", "id",         "challenge_id",    "attestation_id",   "enrollment_id", "nonce", "expires_at",
    "created_at", "credential", "credential_blob", "encrypted_secret", "sha256",        "token", "time"};

// Reason ids are stable, not fresh: inside "reasons" an "id" is kept, to be compared.
void scrub(nlohmann::json& j, bool in_reasons = false) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (kVolatile.contains(k) && !v.is_null() && !(in_reasons && k == "id")) {
        v = "<volatile>";
      } else {
        scrub(v, k == "reasons");
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) scrub(v, in_reasons);
  }
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size())) {
    s.replace(pos, what.size(), with);
  }
}

}  // namespace

std::string normalise(const server::test::HttpResponse& r, const std::vector<std::string>& names) {
  std::string body = r.body;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    scrub(parsed);
    body = parsed.dump();
  } else {
    replace_all(body, r.header("x-request-id"), "<volatile>");
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [k, v] : r.headers) {
    if (k != "x-request-id") headers.emplace_back(k, v);
  }
  std::sort(headers.begin(), headers.end());
  std::string out = fmt::format("{}\n", r.status);
  for (const auto& [k, v] : headers) out += fmt::format("{}: {}\n", k, v);
  out += "\n" + body;
  for (size_t i = 0; i < names.size(); ++i) replace_all(out, names[i], fmt::format("<obj{}>", i));
  return out;
}

std::vector<std::string> leaked(const server::test::HttpResponse& r, const std::vector<std::string>& watched,
                                std::string_view request_text) {
  std::string all = r.body;
  for (const auto& [k, v] : r.headers) all += "\n" + k + ": " + v;
  std::vector<std::string> out;
  for (const auto& id : watched) {
    if (id.empty() || request_text.find(id) != std::string_view::npos) continue;
    if (all.find(id) != std::string::npos) out.push_back(id);
  }
  return out;
}

}  // namespace attestd::access_test
