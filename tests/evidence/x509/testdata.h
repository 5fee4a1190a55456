// Helpers of the X.509 tests: reading ../shared/testdata files and the chains the NVIDIA index names.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace attestd::evidence::x509::testing {

inline const std::string kShared = ATTESTD_SHARED_TESTDATA;
inline const std::string kNvtrustVerifier = kShared + "/nvtrust/guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/";
inline const std::string kDeviceRoot = kNvtrustVerifier + "certs/verifier_device_root.pem";
inline const std::string kRimRoot = kNvtrustVerifier + "certs/verifier_RIM_root.pem";
inline const std::string kSdk = kShared + "/nvidia-attestation-sdk/nv-attestation-sdk-cpp/unit-tests/testdata/";

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<uint8_t> base64_decode(std::string text) {
  std::erase_if(text, [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; });
  const std::vector<unsigned char> in(text.begin(), text.end());
  std::vector<uint8_t> out(text.size() / 4 * 3 + 3);
  const int n = EVP_DecodeBlock(out.data(), in.data(), static_cast<int>(in.size()));
  if (n < 0) return {};
  size_t len = static_cast<size_t>(n);
  if (text.size() >= 1 && text.back() == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

// The PEM text of the chain an index entry names: a file, or "FILE.json[i].certificate (base64 PEM)".
inline std::string chain_pem(const std::string& cert_chain) {
  static const std::regex kJsonRef(R"(^(.*\.json)\[(\d+)\]\.certificate)");
  std::smatch m;
  if (std::regex_search(cert_chain, m, kJsonRef)) {
    std::string file = m[1].str();
    std::string path = kShared + "/" + file;
    if (!std::ifstream(path)) path = kShared + "/nvidia-attestation-sdk/common-test-data/serialized_test_evidence/" + file;
    const auto json = nlohmann::json::parse(read_text(path));
    const auto b64 = json.at(std::stoul(m[2].str())).at("certificate").get<std::string>();
    const auto bytes = base64_decode(b64);
    return std::string(bytes.begin(), bytes.end());
  }
  return read_text(kShared + "/" + cert_chain);
}

inline std::chrono::sys_seconds utc(int y, unsigned m, unsigned d) {
  return std::chrono::sys_seconds{
      std::chrono::sys_days{std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}}};
}

}  // namespace attestd::evidence::x509::testing
