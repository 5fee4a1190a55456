// JSON renderings of evidence results shared by the commands.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/pcr_values.h"

namespace attestd::cli {

inline nlohmann::ordered_json reason_json(const evidence::Error& e) {
  return {{"id", std::string(e.id)}, {"message", e.message}};
}

inline nlohmann::ordered_json reasons_json(const std::vector<evidence::Error>& errors) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& e : errors) out.push_back(reason_json(e));
  return out;
}

inline nlohmann::ordered_json pcrs_json(const evidence::PcrValues& values) {
  auto out = nlohmann::ordered_json::object();
  for (const auto& [alg, bank] : values) {
    auto b = nlohmann::ordered_json::object();
    for (const auto& [index, digest] : bank) b[std::to_string(index)] = digest.hex();
    out[std::string(evidence::hash_alg_name(alg))] = b;
  }
  return out;
}

}  // namespace attestd::cli
