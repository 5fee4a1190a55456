// Helpers shared by the event-log tests: files, reference PCR values, and a builder for small
// crafted logs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/hash.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::evidence::eventlog::testing {

std::filesystem::path shared_testdata();
std::vector<uint8_t> read_file(const std::filesystem::path& path);
std::span<const uint8_t> as_bytes(std::string_view s);

// Reference PCR values from any of the formats testdata uses:
//   {"pcrs": {bank: {index: hex}}}           go-eventlog *.expected.json, go-attestation expected_pcr*.json
//   {"bank": name, "pcrs": {index: hex}}     *.pcrs.json (go-attestation, go-tpm-tools, legacydata)
//   {bank: {index: hex}}                     vmboot/*/pcrs.json
//   the "pcrs:" section of tpm2_eventlog YAML (*.yaml, *.yml)
PcrValues load_reference_pcrs(const std::filesystem::path& path);

// Little-endian byte builder for crafted logs.
class Bytes {
 public:
  Bytes& u8(uint8_t v);
  Bytes& u16(uint16_t v);
  Bytes& u32(uint32_t v);
  Bytes& u64(uint64_t v);
  Bytes& raw(std::span<const uint8_t> b);
  Bytes& str(std::string_view s);  // the characters, no NUL added
  Bytes& utf16(std::string_view ascii);  // ASCII as UTF-16LE, no NUL added
  Bytes& fill(size_t n, uint8_t v);
  [[nodiscard]] const std::vector<uint8_t>& bytes() const { return bytes_; }
  [[nodiscard]] size_t size() const { return bytes_.size(); }

 private:
  std::vector<uint8_t> bytes_;
};

// A crypto-agile log under construction: the Spec ID header first, then TCG_PCR_EVENT2s whose
// digests are, unless given, the hash of the data in every bank.
class LogBuilder {
 public:
  using Algorithms = std::vector<std::pair<uint16_t, uint16_t>>;  // TPM_ALG_ID, digest size
  static Algorithms default_algorithms() { return {{0x0004, 20}, {0x000B, 32}}; }

  explicit LogBuilder(Algorithms algs = default_algorithms(), std::vector<uint8_t> vendor = {});
  // The Spec ID event's data exactly as built (for tests that alter the header).
  static Bytes spec_id_data(const Algorithms& algs, const std::vector<uint8_t>& vendor);
  // Wraps Spec ID data (or any data) in the TCG_PCR_EVENT header; event_size overrides EventSize.
  static Bytes legacy_event(uint32_t pcr, uint32_t type, std::span<const uint8_t> data,
                            std::optional<uint32_t> event_size = std::nullopt, uint8_t digest_fill = 0);

  // A TCG_PCR_EVENT2 with H(data) in every bank.
  LogBuilder& event(uint32_t pcr, uint32_t type, std::span<const uint8_t> data);
  // A TCG_PCR_EVENT2 with the digest of `digested` (not of data) in every bank.
  LogBuilder& event_digesting(uint32_t pcr, uint32_t type, std::span<const uint8_t> data,
                              std::span<const uint8_t> digested);
  LogBuilder& raw(std::span<const uint8_t> b);

  [[nodiscard]] const std::vector<uint8_t>& bytes() const { return out_.bytes(); }

 private:
  Algorithms algs_;
  Bytes out_;
};

}  // namespace attestd::evidence::eventlog::testing
