#include "attestd/evidence/gpu/gpu_verification.h"

#include <fmt/format.h>

#include <map>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/rim/compare.h"
#include "attestd/evidence/rim/verify.h"
#include "attestd/evidence/x509/chain.h"
#include "attestd/evidence/x509/dice.h"

namespace attestd::evidence::gpu {

namespace {

void append(std::vector<Error>& to, const std::vector<Error>& from) { to.insert(to.end(), from.begin(), from.end()); }

// §7.3 step 3: when the firmware reports an FWID, it must be the FWID its leaf certificate was
// issued for, which ties the signing key to the measured firmware. Drivers before 550 report none;
// NVIDIA's verifiers then skip the check, and so do we, but the claim says the report is not
// FWID-bound so that a policy can require the binding.
void check_fwid(const x509::Certificate& leaf, const nvidia::ReportClaims& report, GpuVerification& out) {
  if (!report.opaque.fwid) return;
  auto leaf_fwid = x509::extract_fwid(leaf);
  if (!leaf_fwid) {
    out.reasons.push_back(leaf_fwid.error());
    return;
  }
  if (*report.opaque.fwid != leaf_fwid->fwid.digest) {
    out.reasons.push_back(Error{kFwidMismatch, fmt::format("the report's FWID {} differs from the leaf certificate's {}",
                                                           to_hex(*report.opaque.fwid), to_hex(leaf_fwid->fwid.digest))});
    return;
  }
  out.claims.fwid_bound = true;
}

// §7.5: verified RIMs, then every measurement index against them.
void check_measurements(const nvidia::ReportClaims& report, const GpuTrust& trust, std::chrono::sys_seconds at,
                        GpuVerification& out) {
  if (trust.rim_root == nullptr) {
    out.reasons.push_back(Error{"rim.cert.untrusted_root", "RIMs were given without the NVIDIA RIM root to verify them"});
    return;
  }
  std::optional<rim::RimVerification> driver, vbios;
  if (trust.driver_rim) driver = rim::verify_rim(*trust.driver_rim, *trust.rim_root, at);
  if (trust.vbios_rim) vbios = rim::verify_rim(*trust.vbios_rim, *trust.rim_root, at);
  bool rims_ok = true;
  for (auto* v : {&driver, &vbios}) {
    if (!v->has_value()) continue;
    append(out.reasons, (*v)->reasons);
    rims_ok = rims_ok && (*v)->valid && (*v)->rim.has_value();
  }
  if (driver && driver->rim) out.claims.driver_rim_id = driver->rim->info.tag_id;
  if (vbios && vbios->rim) out.claims.vbios_rim_id = vbios->rim->info.tag_id;
  // Fail closed: golden values from a RIM whose signature or chain failed are not golden.
  if (!rims_ok) return;

  std::map<uint8_t, std::vector<uint8_t>> by_index;
  for (const auto& m : report.measurements) by_index[m.index] = m.value;
  const bool nvdec0_disabled = report.opaque.nvdec0_status == nvidia::kStatusDisabled;
  const auto cmp = rim::compare_measurements(by_index, driver ? &*driver->rim : nullptr,
                                             vbios ? &*vbios->rim : nullptr, nvdec0_disabled);
  append(out.reasons, cmp.reasons);
  out.claims.measurements_compared = true;
  out.claims.measurements_match = cmp.match;
  out.claims.compared_indices = cmp.compared;
  out.claims.mismatching_indices = cmp.mismatching_indices();
}

}  // namespace

GpuVerification verify_gpu(std::span<const uint8_t> report, std::string_view chain_pem,
                           std::span<const uint8_t> expected_nonce, const GpuTrust& trust,
                           std::chrono::sys_seconds at) {
  GpuVerification out;
  auto chain = x509::parse_pem_chain(chain_pem);
  if (!chain) {
    out.reasons.push_back(chain.error());
  } else if (chain->empty()) {
    out.reasons.push_back(Error{kChainEmpty, "the certificate chain holds no certificate"});
  }
  const bool have_chain = chain && !chain->empty();

  // §7.3 step 2: the chain, to the pinned root, at the verification time.
  if (have_chain) {
    const auto& leaf = chain->front();
    out.claims.leaf_subject = leaf.subject();
    out.claims.ueid = leaf.serial_decimal();
    // §7.3 step 2: NVIDIA's hwmodel claim is the common name of the certificate above the leaf.
    if (chain->size() > 1) out.claims.hardware_model = (*chain)[1].subject_common_name();
    if (trust.device_root == nullptr) {
      out.reasons.push_back(Error{"gpu.cert.untrusted_root", "no pinned NVIDIA Device Identity root was given"});
    } else {
      const auto validation = x509::validate_chain(*chain, *trust.device_root, at);
      append(out.reasons, validation.reasons);
      out.claims.chain_valid = validation.valid;
    }
  }

  // §7.3 steps 4-6: the report itself, signed by the leaf's key, over our nonce.
  auto decoded = nvidia::decode_report(report);
  if (!decoded) {
    out.reasons.push_back(decoded.error());
  } else {
    x509::PkeyPtr key = have_chain ? chain->front().public_key() : nullptr;
    const auto verification = nvidia::verify_nvidia_report(*decoded, key.get(), expected_nonce);
    append(out.reasons, verification.reasons);
    out.claims.report_parsed = verification.parsed;
    if (verification.parsed) {
      out.claims.report = verification.claims;
      if (have_chain) check_fwid(chain->front(), out.claims.report, out);
      if (trust.driver_rim || trust.vbios_rim) check_measurements(out.claims.report, trust, at, out);
    }
  }
  out.valid = out.reasons.empty();
  return out;
}

}  // namespace attestd::evidence::gpu
