#include "attestd/policy/pcr_json.h"

#include <fmt/format.h>

#include <charconv>

namespace attestd::policy {

std::expected<evidence::PcrBank, std::string> pcr_bank_from_json(evidence::HashAlg alg, const nlohmann::json& obj) {
  const auto bank_name = evidence::hash_alg_name(alg);
  if (!obj.is_object()) return std::unexpected(fmt::format("bank {}: expected an object", bank_name));
  evidence::PcrBank bank;
  for (const auto& [key, value] : obj.items()) {
    uint32_t index = 0;
    const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (ec != std::errc() || ptr != key.data() + key.size() || index >= evidence::kPcrCount) {
      return std::unexpected(fmt::format("bank {}: bad PCR index \"{}\"", bank_name, key));
    }
    std::optional<std::basic_string<uint8_t>> bytes;
    if (value.is_string()) bytes = evidence::from_hex(value.get_ref<const std::string&>());
    if (!bytes || bytes->size() != evidence::digest_size(alg)) {
      return std::unexpected(
          fmt::format("{}:{}: expected {} bytes of hex", bank_name, index, evidence::digest_size(alg)));
    }
    bank[index] = evidence::Digest(std::span<const uint8_t>(bytes->data(), bytes->size()));
  }
  return bank;
}

std::expected<evidence::PcrValues, std::string> pcr_values_from_json(const nlohmann::json& banks) {
  if (!banks.is_object()) return std::unexpected("PCR values: expected an object of banks");
  evidence::PcrValues values;
  for (const auto& [name, bank_json] : banks.items()) {
    const auto alg = evidence::hash_alg_from_name(name);
    if (!alg) return std::unexpected(fmt::format("unknown PCR bank \"{}\"", name));
    auto bank = pcr_bank_from_json(*alg, bank_json);
    if (!bank) return std::unexpected(std::move(bank.error()));
    values[*alg] = std::move(*bank);
  }
  return values;
}

}  // namespace attestd::policy
