// Test helpers: reading files from ../shared/testdata and tests/data.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace attestd::evidence::spdm::test {

inline const std::filesystem::path kShared = ATTESTD_SHARED_TESTDATA;
inline const std::filesystem::path kSpdmEmu = kShared / "spdm-emu";
inline const std::filesystem::path kTestData = std::filesystem::path(ATTESTD_TEST_DATA) / "spdm";

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return nlohmann::json::parse(in);
}

inline std::vector<uint8_t> hex_bytes(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// The message files of a capture's messages/ folder in log order (by their numeric prefix).
inline std::vector<std::filesystem::path> message_files(const std::filesystem::path& dir) {
  std::vector<std::pair<int, std::filesystem::path>> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    files.emplace_back(std::stoi(e.path().filename().string()), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::filesystem::path> out;
  for (auto& f : files) out.push_back(f.second);
  return out;
}

inline const std::vector<std::string>& capture_names() {
  static const std::vector<std::string> names = {"v11_p384_all", "v11_p384_1by1", "v12_p256_all",
                                                 "v12_p384_all", "v13_p384_all",  "v13_p384_1by1"};
  return names;
}

// Standard base64 (RFC 4648) for the SDK's serialized evidence.
inline std::vector<uint8_t> base64_decode(std::string_view in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t buf = 0;
  int bits = 0;
  for (char ch : in) {
    const auto pos = kAlphabet.find(ch);
    if (pos == std::string::npos) continue;  // '=', whitespace
    buf = (buf << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace attestd::evidence::spdm::test
