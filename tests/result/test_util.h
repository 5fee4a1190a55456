// Helpers shared by the result-layer tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/result/base64url.h"
#include "attestd/result/signing_key.h"

namespace attestd::result::testing {

// RFC 7638 §3.1's example key, with its non-canonical members (alg, kid) that the thumbprint
// ignores.
inline constexpr std::string_view kRfc7638Jwk = R"({
  "kty": "RSA",
  "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  "e": "AQAB",
  "alg": "RS256",
  "kid": "2011-04-29"
})";
inline constexpr std::string_view kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// RFC 7517 Appendix A.1's EC P-256 public key.
inline constexpr std::string_view kRfc7517EcJwk =
    R"({"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"})";

inline std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

inline std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline std::vector<uint8_t> counting_nonce(size_t n = 32) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i);
  return out;
}

// A JWS over arbitrary header and payload text, signed ES256 by key: for tokens issue_ear would
// never produce (duplicate members, crit, missing claims) that must still fail for the right reason
// after a valid signature.
inline std::string sign_raw(const SigningKey& key, std::string_view header, std::string_view payload) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  auto sig = key.sign_es256(bytes(input));
  return input + "." + (sig ? base64url_encode(*sig) : std::string());
}

inline std::chrono::sys_seconds at(int64_t t) { return std::chrono::sys_seconds(std::chrono::seconds(t)); }

}  // namespace attestd::result::testing

#include <stdlib.h>

#include <filesystem>

namespace attestd::result::testing {

// A fresh directory under the temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "attestd-result-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace attestd::result::testing
