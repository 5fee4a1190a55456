// attestctl spdm verify: generic SPDM measurement evidence (DSP0274 1.1 - 1.3).
//
// Evidence layout (--transcript):
//   DIR      a capture folder: the message log is DIR/messages/*.bin, or else the *.bin files
//            directly in DIR whose names start with a decimal sequence number and "_"
//            ("00_req_GET_VERSION.bin", "01_rsp_VERSION.bin", ...), in numeric order. Each file is
//            one SPDM message exactly as exchanged (transport headers stripped), requests and
//            responses alternating, VCA (GET_VERSION .. ALGORITHMS) included, ERROR answers
//            included. The responder's certificate chain for slot N is DIR/cert_chain_slotN.bin,
//            the SPDM certificate-chain structure (DSP0274 Table 33: Length, Reserved, RootHash,
//            DER certificates root first, leaf last) as GET_CERTIFICATE reassembles it.
//            (This is the layout of ../shared/testdata/spdm-emu/*.)
//   FILES... the message files themselves, in log order; the chain then comes from
//            --cert-chain FILE (same structure), used for every signed MEASUREMENTS.
// Every signed MEASUREMENTS in the log is verified with its own transcript (L1/L2 reset rules of
// FORMATS-SPDM.md 5.1) and the leaf key of the slot its request names; --nonce is the binding the
// LAST signed GET_MEASUREMENTS must carry (earlier ones are verified but their nonces only
// reported). The claims describe the last signed MEASUREMENTS. The certificate chain is NOT
// validated here (claims.chain_validated = false): --at is recorded for when chain validation is
// glued in. Exit 0 valid, 1 invalid, 2 usage.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/spdm/algorithms.h"
#include "attestd/evidence/spdm/cert_chain.h"
#include "attestd/evidence/spdm/get_measurements.h"
#include "attestd/evidence/spdm/measurements_verification.h"
#include "attestd/evidence/spdm/reasons.h"
#include "attestd/evidence/spdm/transcript.h"
#include "attestd/evidence/spdm/vca.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"

namespace attestd::cli {

namespace spdm = evidence::spdm;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct SpdmOptions {
  std::vector<std::string> transcript;
  std::string cert_chain;
  std::string nonce;
  std::string at;
  bool json = false;
};

int usage_error(const std::string& message) {
  std::cerr << "attestctl: " << message << "\n";
  return kExitUsage;
}

// "12_rsp_MEASUREMENTS.bin" -> 12; nullopt for names without a leading number and "_".
std::optional<long> sequence_number(const fs::path& p) {
  const std::string name = p.filename().string();
  size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits])) != 0) ++digits;
  if (digits == 0 || digits > 9 || digits >= name.size() || name[digits] != '_' || p.extension() != ".bin") {
    return std::nullopt;
  }
  return std::stol(name.substr(0, digits));
}

std::expected<std::vector<fs::path>, std::string> log_files_of(const fs::path& dir) {
  const fs::path folder = fs::is_directory(dir / "messages") ? dir / "messages" : dir;
  std::vector<std::pair<long, fs::path>> numbered;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (const auto n = sequence_number(e.path()); n && e.is_regular_file()) numbered.emplace_back(*n, e.path());
  }
  if (ec) return std::unexpected(fmt::format("{}: {}", folder.string(), ec.message()));
  if (numbered.empty()) return std::unexpected(fmt::format("{}: no NN_*.bin message files", folder.string()));
  std::sort(numbered.begin(), numbered.end());
  std::vector<fs::path> out;
  for (auto& [n, p] : numbered) out.push_back(p);
  return out;
}

std::string_view hash_name(uint32_t sel) {
  switch (sel) {
    case spdm::kHashSha256: return "sha256";
    case spdm::kHashSha384: return "sha384";
    case spdm::kHashSha512: return "sha512";
    default: return "unknown";
  }
}

json measurements_json(const std::vector<spdm::MeasurementClaim>& blocks) {
  json out = json::array();
  for (const auto& b : blocks) {
    json m = {{"index", b.index}, {"specification", b.specification}};
    if (b.value_type_byte) {
      m["value_type"] = std::string(spdm::value_type_name(*b.value_type_byte));
      m["raw_bit_stream"] = (*b.value_type_byte & 0x80) != 0;
    }
    m["value"] = evidence::to_hex(b.value);
    out.push_back(std::move(m));
  }
  return out;
}

int verify(const SpdmOptions& o) {
  // Gather the log and the chains.
  std::vector<fs::path> files;
  std::map<int, fs::path> chain_files;
  if (o.transcript.size() == 1 && fs::is_directory(o.transcript[0])) {
    const fs::path dir = o.transcript[0];
    auto found = log_files_of(dir);
    if (!found) return usage_error(found.error());
    files = std::move(*found);
    for (int slot = 0; slot < 8; ++slot) {
      const auto p = dir / fmt::format("cert_chain_slot{}.bin", slot);
      if (fs::is_regular_file(p)) chain_files[slot] = p;
    }
  } else {
    for (const auto& f : o.transcript) files.emplace_back(f);
  }
  if (!o.cert_chain.empty()) {
    chain_files.clear();
    for (int slot = 0; slot < 8; ++slot) chain_files[slot] = o.cert_chain;
  }
  std::optional<std::vector<uint8_t>> nonce;
  if (!o.nonce.empty()) {
    const auto n = evidence::from_hex(o.nonce);
    if (!n) return usage_error("--nonce must be hex");
    nonce.emplace(n->begin(), n->end());
  }
  std::vector<std::vector<uint8_t>> messages;
  for (const auto& f : files) {
    auto bytes = read_file(f.string());
    if (!bytes) return usage_error(bytes.error());
    messages.push_back(std::move(*bytes));
  }
  std::vector<std::span<const uint8_t>> spans(messages.begin(), messages.end());

  std::vector<evidence::Error> reasons;
  json claims = json::object();
  claims["messages"] = messages.size();
  claims["chain_validated"] = false;
  if (!o.at.empty()) claims["at"] = o.at;

  const auto print = [&]() {
    const bool valid = reasons.empty();
    if (o.json) {
      std::cout << json{{"valid", valid}, {"reasons", reasons_json(reasons)}, {"claims", claims}}.dump(1) << "\n";
    } else {
      std::cout << (valid ? "valid" : "invalid") << "\n";
      for (const auto& r : reasons) std::cout << "  " << r.id << ": " << r.message << "\n";
    }
    return valid ? kExitValid : kExitInvalid;
  };

  auto transcripts = spdm::transcripts_from_log(spans);
  if (!transcripts) {
    reasons.push_back(std::move(transcripts.error()));
    return print();
  }
  json exchanges = json::array();
  std::map<int, std::vector<uint8_t>> chain_bytes;
  for (size_t k = 0; k < transcripts->size(); ++k) {
    const auto& lt = (*transcripts)[k];
    const bool last = k + 1 == transcripts->size();
    std::vector<evidence::Error> these;
    // The key: leaf of the chain of the slot the signed request names (BaseHash from the VCA).
    spdm::PkeyPtr key;
    {
      std::vector<uint8_t> vca;
      for (auto piece : lt.transcript.vca) vca.insert(vca.end(), piece.begin(), piece.end());
      const auto parsed_vca = spdm::parse_vca(vca);
      const auto req = spdm::parse_get_measurements(lt.transcript.exchanges.back().request);
      if (parsed_vca && req) {
        const int slot = req->slot_id();
        const auto base_hash = spdm::base_hash_alg(parsed_vca->algorithms.base_hash);
        if (!chain_files.contains(slot)) {
          these.push_back(evidence::Error{spdm::kKeyInvalid, fmt::format("no certificate chain for slot {}", slot)});
        } else if (base_hash) {
          if (!chain_bytes.contains(slot)) {
            auto bytes = read_file(chain_files[slot].string());
            if (!bytes) return usage_error(bytes.error());
            chain_bytes[slot] = std::move(*bytes);
          }
          const auto chain = spdm::parse_cert_chain(chain_bytes[slot], *base_hash);
          if (!chain) {
            these.push_back(chain.error());
          } else if (auto leaf = spdm::leaf_public_key(*chain); !leaf) {
            these.push_back(leaf.error());
          } else {
            key = std::move(*leaf);
          }
        }
      }
    }
    spdm::MeasurementsVerifyOptions options;
    if (last && nonce) options.expected_nonce = *nonce;
    const auto v = spdm::verify_measurements(lt.transcript, key.get(), options);
    // Without a key the signature failure says nothing new: keep the key's reason only.
    for (const auto& r : v.reasons) {
      if (!key && (r.id == spdm::kKeyMismatch || r.id == spdm::kMeasurementsSignatureInvalid)) continue;
      these.push_back(r);
    }
    exchanges.push_back({{"signed_request_message", lt.signed_request},
                         {"first_request_message", lt.first_request},
                         {"pairs", lt.transcript.exchanges.size()},
                         {"valid", these.empty()},
                         {"requester_nonce", evidence::to_hex(v.claims.requester_nonce)},
                         {"reasons", reasons_json(these)}});
    for (auto& r : these) {
      r.message = fmt::format("signed GET_MEASUREMENTS at log message {}: {}", lt.signed_request, r.message);
      reasons.push_back(std::move(r));
    }
    if (last) {
      const auto& c = v.claims;
      claims["spdm_version"] = spdm::version_name(c.algorithms.version);
      claims["base_asym"] = std::string(spdm::base_asym_name(c.algorithms.base_asym));
      claims["base_hash"] = std::string(hash_name(c.algorithms.base_hash));
      claims["measurement_hash_algo"] = c.algorithms.measurement_hash;
      claims["slot_id"] = c.slot_id;
      claims["content_changed"] = c.content_changed;
      claims["nonce_checked"] = c.nonce_checked;
      claims["nonce_matches"] = c.nonce_matches;
      claims["requester_nonce"] = evidence::to_hex(c.requester_nonce);
      claims["responder_nonce"] = evidence::to_hex(c.responder_nonce);
      if (!c.requester_context.empty()) claims["requester_context"] = evidence::to_hex(c.requester_context);
      claims["opaque_data"] = evidence::to_hex(c.opaque_data);
      claims["measurements"] = measurements_json(c.measurements);
    }
  }
  claims["signed_measurements"] = exchanges;
  return print();
}

}  // namespace

void add_spdm_commands(CLI::App& app, int& exit_code) {
  auto* spdm_cmd = app.add_subcommand("spdm", "Verify SPDM measurement evidence");
  spdm_cmd->require_subcommand(1);
  auto o = std::make_shared<SpdmOptions>();
  auto* verify_cmd = spdm_cmd->add_subcommand(
      "verify", "Verify every signed MEASUREMENTS of an SPDM message log (see cli/spdm_command.cpp for the layout)");
  verify_cmd->add_option("--transcript", o->transcript, "Capture folder, or the message files in log order")
      ->required()
      ->expected(1, -1);
  verify_cmd->add_option("--cert-chain", o->cert_chain,
                         "SPDM certificate-chain structure of the responder (default: DIR/cert_chain_slotN.bin)");
  verify_cmd->add_option("--nonce", o->nonce, "Expected nonce of the last signed GET_MEASUREMENTS, hex");
  verify_cmd->add_option("--at", o->at, "Verification time (RFC 3339), for certificate-chain validation");
  verify_cmd->add_flag("--json", o->json, "Print JSON");
  verify_cmd->callback([&exit_code, o] { exit_code = verify(*o); });
}

}  // namespace attestd::cli
