// Fuzzes the device-certificate parsers: a PEM chain (as NVML returns it), one DER certificate, and
// the DICE / NVIDIA FWID extension values, then path validation of whatever parses.
// Properties: an accepted chain is non-empty and within the limit; every accepted FWID has its
// algorithm's digest length; validation of a chain to its own last certificate never reports
// success with reasons, nor reasons with success.
#include <cstdlib>
#include <string_view>

#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/x509/certificate.h"
#include "attestd/evidence/x509/chain.h"
#include "attestd/evidence/x509/dice.h"

using namespace attestd::evidence;
using namespace attestd::evidence::x509;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

void check_fwid(const std::expected<Fwid, Error>& fwid) {
  if (fwid) check(fwid->digest.size() == digest_size(fwid->alg));
}

void exercise(const Certificate& cert) {
  (void)cert.subject();
  (void)cert.issuer();
  (void)cert.subject_common_name();
  (void)cert.serial_decimal();
  (void)cert.not_before();
  (void)cert.not_after();
  (void)cert.public_key();
  if (const auto fwid = extract_fwid(cert)) {
    check(fwid->fwid.digest.size() == digest_size(fwid->fwid.alg));
  } else {
    check(!fwid.error().message.empty());
  }
  (void)extract_ueid(cert);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  std::string text(bytes.begin(), bytes.end());

  if (const auto chain = parse_pem_chain(text)) {
    check(!chain->empty() && chain->size() <= kMaxChainLength);
    for (const auto& cert : *chain) exercise(cert);
    const auto v = validate_chain(*chain, chain->back(), std::chrono::sys_seconds{std::chrono::seconds{1717200000}});
    check(v.valid == v.reasons.empty());
  }
  if (const auto cert = parse_certificate_der(bytes)) {
    check(cert->der().size() == size);
    exercise(*cert);
  }
  if (const auto info = parse_tcb_info(bytes)) {
    for (const auto& fwid : info->fwids) check(fwid.digest.size() == digest_size(fwid.alg));
  }
  check_fwid(parse_nvidia_hopper_fwid(bytes));
  return 0;
}
