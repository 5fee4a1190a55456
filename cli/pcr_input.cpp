#include "pcr_input.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "attestd/evidence/tpm/pcr_file.h"

namespace attestd::cli {

namespace {

using evidence::HashAlg;
using evidence::PcrBank;
using evidence::PcrValues;

std::expected<PcrBank, std::string> parse_bank(HashAlg alg, const nlohmann::json& obj) {
  if (!obj.is_object()) return std::unexpected(fmt::format("bank {}: expected an object", evidence::hash_alg_name(alg)));
  PcrBank bank;
  for (const auto& [key, value] : obj.items()) {
    uint32_t index = 0;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (ec != std::errc() || ptr != key.data() + key.size() || index >= evidence::kPcrCount) {
      return std::unexpected(fmt::format("bank {}: bad PCR index \"{}\"", evidence::hash_alg_name(alg), key));
    }
    if (!value.is_string()) return std::unexpected(fmt::format("{}:{}: value is not a hex string", evidence::hash_alg_name(alg), index));
    const auto bytes = evidence::from_hex(value.get<std::string>());
    if (!bytes || bytes->size() != evidence::digest_size(alg)) {
      return std::unexpected(fmt::format("{}:{}: expected {} bytes of hex", evidence::hash_alg_name(alg), index,
                                         evidence::digest_size(alg)));
    }
    bank[index] = evidence::Digest(std::span<const uint8_t>(bytes->data(), bytes->size()));
  }
  return bank;
}

std::expected<PcrValues, std::string> parse_banks(const nlohmann::json& obj) {
  PcrValues values;
  for (const auto& [name, bank_json] : obj.items()) {
    const auto alg = evidence::hash_alg_from_name(name);
    if (!alg) return std::unexpected(fmt::format("unknown PCR bank \"{}\"", name));
    auto bank = parse_bank(*alg, bank_json);
    if (!bank) return std::unexpected(bank.error());
    values[*alg] = std::move(*bank);
  }
  return values;
}

}  // namespace

std::expected<PcrValues, std::string> parse_pcr_input(std::span<const uint8_t> bytes) {
  const bool looks_like_json = !bytes.empty() && (bytes.front() == '{' || bytes.front() == ' ' ||
                                                  bytes.front() == '\n' || bytes.front() == '\t');
  if (!looks_like_json) {
    auto values = evidence::tpm::parse_tpm2_tools_pcr_file(bytes);
    if (!values) return std::unexpected(fmt::format("PCR file: {} ({})", values.error().message, values.error().id));
    return *values;
  }
  const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected("PCR file: not a JSON object");
  if (doc.contains("bank") && doc.contains("pcrs")) {
    if (!doc["bank"].is_string()) return std::unexpected("PCR file: \"bank\" is not a string");
    const auto alg = evidence::hash_alg_from_name(doc["bank"].get<std::string>());
    if (!alg) return std::unexpected(fmt::format("unknown PCR bank \"{}\"", doc["bank"].get<std::string>()));
    auto bank = parse_bank(*alg, doc["pcrs"]);
    if (!bank) return std::unexpected(bank.error());
    return PcrValues{{*alg, std::move(*bank)}};
  }
  if (doc.contains("pcrs")) return parse_banks(doc["pcrs"]);
  return parse_banks(doc);
}

}  // namespace attestd::cli
