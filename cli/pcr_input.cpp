#include "pcr_input.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "attestd/evidence/tpm/pcr_file.h"
#include "attestd/policy/pcr_json.h"

namespace attestd::cli {

using evidence::PcrValues;

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
    auto bank = policy::pcr_bank_from_json(*alg, doc["pcrs"]);
    if (!bank) return std::unexpected(bank.error());
    return PcrValues{{*alg, std::move(*bank)}};
  }
  if (doc.contains("pcrs")) return policy::pcr_values_from_json(doc["pcrs"]);
  return policy::pcr_values_from_json(doc);
}

}  // namespace attestd::cli
