// attestctl gpu verify
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/gpu/gpu_verification.h"
#include "attestd/evidence/x509/certificate.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "time_arg.h"

namespace attestd::cli {

namespace gpu = evidence::gpu;
using json = nlohmann::ordered_json;

namespace {

struct GpuOptions {
  std::string report;
  std::string chain;
  std::string nonce;
  std::string driver_rim;
  std::string vbios_rim;
  std::string at;
  std::string root = std::string(ATTESTD_GOLDEN_VALUES_DIR) + "/nvidia/device_identity_root.pem";
  std::string rim_root = std::string(ATTESTD_GOLDEN_VALUES_DIR) + "/nvidia/rim_root.pem";
  bool json = false;
};

int usage_error(const std::string& message) {
  std::cerr << "attestctl: " << message << "\n";
  return kExitUsage;
}

std::string as_text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

std::expected<evidence::x509::Certificate, std::string> load_root(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(bytes.error());
  auto cert = evidence::x509::parse_certificate_pem(as_text(*bytes));
  if (!cert) return std::unexpected(path + ": " + cert.error().message);
  return std::move(*cert);
}

json claims_json(const gpu::GpuClaims& c) {
  json out = json::object();
  out["chain_valid"] = c.chain_valid;
  out["leaf_subject"] = c.leaf_subject;
  out["ueid"] = c.ueid;
  out["hardware_model"] = c.hardware_model;
  out["fwid_bound"] = c.fwid_bound;
  if (c.report_parsed) {
    const auto& r = c.report;
    const auto& o = r.opaque;
    out["spdm_version"] = fmt::format("{}.{}", r.spdm_version >> 4, r.spdm_version & 0x0f);
    out["nonce"] = evidence::to_hex(r.requester_nonce);
    out["nonce_matches"] = r.nonce_matches;
    if (o.chip_info) out["chip_info"] = *o.chip_info;
    if (o.project) out["project"] = *o.project;
    if (o.project_sku) out["project_sku"] = *o.project_sku;
    if (o.chip_sku) out["chip_sku"] = *o.chip_sku;
    if (o.driver_version) out["driver_version"] = *o.driver_version;
    if (o.vbios_version) out["vbios_version"] = *o.vbios_version;
    if (o.fwid) out["fwid"] = evidence::to_hex(*o.fwid);
    if (o.nvdec0_status) out["nvdec0_enabled"] = *o.nvdec0_status == evidence::nvidia::kStatusEnabled;
    if (o.protected_pcie_status) out["ppcie_enabled"] = *o.protected_pcie_status == evidence::nvidia::kStatusEnabled;
    json measurements = json::object();
    for (const auto& m : r.measurements) measurements[std::to_string(m.index)] = evidence::to_hex(m.value);
    out["measurements"] = measurements;
    json unknown = json::array();
    for (const auto& f : o.fields) {
      if (evidence::nvidia::opaque_type_name(f.type).empty()) {
        unknown.push_back({{"type", f.type}, {"data", evidence::to_hex(f.data)}});
      }
    }
    out["unknown_opaque_fields"] = unknown;
    out["trailing_bytes"] = evidence::to_hex(r.trailing_bytes);
  }
  out["measurements_compared"] = c.measurements_compared;
  if (c.measurements_compared) {
    out["measurements_match"] = c.measurements_match;
    out["compared_indices"] = c.compared_indices;
  }
  if (c.driver_rim_id) out["driver_rim"] = *c.driver_rim_id;
  if (c.vbios_rim_id) out["vbios_rim"] = *c.vbios_rim_id;
  return out;
}

int verify(const GpuOptions& o) {
  auto report = read_file(o.report);
  if (!report) return usage_error(report.error());
  auto chain = read_file(o.chain);
  if (!chain) return usage_error(chain.error());
  const auto nonce = evidence::from_hex(o.nonce);
  if (!nonce) return usage_error("--nonce must be hex");
  const auto at = parse_time_arg(o.at);
  if (!at) return usage_error(at.error());
  auto root = load_root(o.root);
  if (!root) return usage_error(root.error());

  std::optional<evidence::x509::Certificate> rim_root;
  std::optional<std::string> driver_rim, vbios_rim;
  if (!o.driver_rim.empty() || !o.vbios_rim.empty()) {
    auto r = load_root(o.rim_root);
    if (!r) return usage_error(r.error());
    rim_root = std::move(*r);
  }
  for (auto [path, out] : {std::pair{&o.driver_rim, &driver_rim}, std::pair{&o.vbios_rim, &vbios_rim}}) {
    if (path->empty()) continue;
    auto bytes = read_file(*path);
    if (!bytes) return usage_error(bytes.error());
    *out = as_text(*bytes);
  }

  gpu::GpuTrust trust;
  trust.device_root = &*root;
  trust.rim_root = rim_root ? &*rim_root : nullptr;
  if (driver_rim) trust.driver_rim = *driver_rim;
  if (vbios_rim) trust.vbios_rim = *vbios_rim;
  const auto result = gpu::verify_gpu(*report, as_text(*chain), *nonce, trust, *at);

  if (o.json) {
    std::cout << json{{"valid", result.valid},
                      {"reasons", reasons_json(result.reasons)},
                      {"claims", claims_json(result.claims)},
                      {"mismatches", result.claims.mismatching_indices}}
                     .dump(1)
              << "\n";
  } else {
    std::cout << (result.valid ? "valid" : "invalid") << "\n";
    for (const auto& r : result.reasons) std::cout << "  " << r.id << ": " << r.message << "\n";
  }
  return result.valid ? kExitValid : kExitInvalid;
}

}  // namespace

void add_gpu_commands(CLI::App& app, int& exit_code) {
  auto* gpu_cmd = app.add_subcommand("gpu", "Verify NVIDIA GPU and NVSwitch attestation evidence");
  gpu_cmd->require_subcommand(1);
  auto o = std::make_shared<GpuOptions>();
  auto* verify_cmd = gpu_cmd->add_subcommand("verify", "Verify a report, its certificate chain and optionally RIMs");
  verify_cmd->add_option("--report", o->report, "Attestation report (request || response), binary or hex")->required();
  verify_cmd->add_option("--chain", o->chain, "PEM certificate chain as NVML returns it (leaf first)")->required();
  verify_cmd->add_option("--nonce", o->nonce, "Expected nonce (the binding sent to the GPU), hex")->required();
  verify_cmd->add_option("--driver-rim", o->driver_rim, "NVIDIA driver RIM (signed SWID XML)");
  verify_cmd->add_option("--vbios-rim", o->vbios_rim, "NVIDIA VBIOS RIM (signed SWID XML)");
  verify_cmd->add_option("--at", o->at, "Verification time, RFC 3339 (default: now)");
  verify_cmd->add_option("--root", o->root, "Pinned NVIDIA Device Identity CA (PEM)");
  verify_cmd->add_option("--rim-root", o->rim_root, "Pinned NVIDIA RIM root CA (PEM)");
  verify_cmd->add_flag("--json", o->json, "Print JSON");
  verify_cmd->callback([&exit_code, o] { exit_code = verify(*o); });
}

}  // namespace attestd::cli
