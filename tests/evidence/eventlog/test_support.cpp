#include "test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

namespace attestd::evidence::eventlog::testing {

std::filesystem::path shared_testdata() { return ATTESTD_SHARED_TESTDATA; }

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

namespace {

Digest digest_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  EXPECT_TRUE(bytes.has_value()) << "bad hex " << hex;
  if (!bytes) return {};
  return Digest(std::span<const uint8_t>(bytes->data(), bytes->size()));
}

void add_bank(PcrValues& out, std::string_view bank_name, const nlohmann::json& values) {
  const auto alg = hash_alg_from_name(bank_name);
  ASSERT_TRUE(alg.has_value()) << "unknown bank " << bank_name;
  for (const auto& [index, hex] : values.items()) {
    out[*alg][static_cast<uint32_t>(std::stoul(index))] = digest_from_hex(hex.get<std::string>());
  }
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// tpm2_eventlog writes, at column 0, "pcrs:", then "  <bank>:" and "    <index> : 0x<hex>" lines.
PcrValues load_yaml_pcrs(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  PcrValues out;
  bool in_pcrs = false;
  std::optional<HashAlg> bank;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!in_pcrs) {
      in_pcrs = line == "pcrs:";
      continue;
    }
    if (line.empty()) continue;
    if (line[0] != ' ') break;  // the next top-level key ends the section
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(std::string_view(line).substr(0, colon));
    const std::string value = trim(std::string_view(line).substr(colon + 1));
    if (value.empty()) {
      bank = hash_alg_from_name(key);
      EXPECT_TRUE(bank.has_value()) << path << ": unknown bank " << key;
      continue;
    }
    if (!bank) continue;
    out[*bank][static_cast<uint32_t>(std::stoul(key))] = digest_from_hex(value);
  }
  return out;  // empty when the file has no pcrs: section
}

}  // namespace

PcrValues load_reference_pcrs(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".yaml" || ext == ".yml") return load_yaml_pcrs(path);
  std::ifstream in(path);
  const auto json = nlohmann::json::parse(in);
  PcrValues out;
  if (json.contains("bank")) {
    add_bank(out, json.at("bank").get<std::string>(), json.at("pcrs"));
  } else if (json.contains("pcrs")) {
    for (const auto& [bank, values] : json.at("pcrs").items()) add_bank(out, bank, values);
  } else {
    for (const auto& [bank, values] : json.items()) add_bank(out, bank, values);
  }
  return out;
}

Bytes& Bytes::u8(uint8_t v) {
  bytes_.push_back(v);
  return *this;
}
Bytes& Bytes::u16(uint16_t v) {
  for (int i = 0; i < 2; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Bytes& Bytes::u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Bytes& Bytes::u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return *this;
}
Bytes& Bytes::raw(std::span<const uint8_t> b) {
  bytes_.insert(bytes_.end(), b.begin(), b.end());
  return *this;
}
Bytes& Bytes::str(std::string_view s) { return raw(as_bytes(s)); }
Bytes& Bytes::utf16(std::string_view ascii) {
  for (char c : ascii) u16(static_cast<uint8_t>(c));
  return *this;
}
Bytes& Bytes::fill(size_t n, uint8_t v) {
  bytes_.insert(bytes_.end(), n, v);
  return *this;
}

Bytes LogBuilder::spec_id_data(const Algorithms& algs, const std::vector<uint8_t>& vendor) {
  Bytes b;
  b.str(std::string_view("Spec ID Event03\0", 16)).u32(0).u8(0).u8(2).u8(0).u8(2).u32(static_cast<uint32_t>(algs.size()));
  for (const auto& [id, size] : algs) b.u16(id).u16(size);
  b.u8(static_cast<uint8_t>(vendor.size())).raw(vendor);
  return b;
}

Bytes LogBuilder::legacy_event(uint32_t pcr, uint32_t type, std::span<const uint8_t> data,
                               std::optional<uint32_t> event_size, uint8_t digest_fill) {
  Bytes b;
  b.u32(pcr).u32(type).fill(20, digest_fill).u32(event_size.value_or(static_cast<uint32_t>(data.size()))).raw(data);
  return b;
}

LogBuilder::LogBuilder(Algorithms algs, std::vector<uint8_t> vendor) : algs_(std::move(algs)) {
  const Bytes spec = spec_id_data(algs_, vendor);
  out_.raw(legacy_event(0, 3, spec.bytes()).bytes());
}

LogBuilder& LogBuilder::event(uint32_t pcr, uint32_t type, std::span<const uint8_t> data) {
  return event_digesting(pcr, type, data, data);
}

LogBuilder& LogBuilder::event_digesting(uint32_t pcr, uint32_t type, std::span<const uint8_t> data,
                                        std::span<const uint8_t> digested) {
  out_.u32(pcr).u32(type).u32(static_cast<uint32_t>(algs_.size()));
  for (const auto& [id, size] : algs_) {
    out_.u16(id);
    const auto alg = hash_alg_from_tpm_id(id);
    if (alg) {
      out_.raw(hash(*alg, digested).bytes());
    } else {
      out_.fill(size, 0xAB);
    }
  }
  out_.u32(static_cast<uint32_t>(data.size())).raw(data);
  return *this;
}

LogBuilder& LogBuilder::raw(std::span<const uint8_t> b) {
  out_.raw(b);
  return *this;
}

}  // namespace attestd::evidence::eventlog::testing
