// Firmware identity carried in device leaf certificates:
//  * TCG DICE TcbInfo (TCG DICE Attestation Architecture 1.1, 6.1.1), OID 2.23.133.5.4.1, and the
//    variant NVIDIA Blackwell leaves carry under 2.23.133.5.4.1.1 with the same DiceTcbInfo syntax;
//  * NVIDIA Hopper / NVSwitch leaves, whose 2.23.133.5.4.1 value is NOT a DiceTcbInfo but
//    SEQUENCE { INTEGER version, SubjectPublicKeyInfo, SEQUENCE { OID hashAlg, OCTET STRING digest } }
//    (FORMATS-SPDM 7.3 step 3; NVIDIA's verifiers take the last 48 bytes, i.e. that digest);
//  * TCG DICE Ueid (6.1.2), OID 2.23.133.5.4.4: SEQUENCE { ueid OCTET STRING }.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"
#include "attestd/evidence/x509/certificate.h"

namespace attestd::evidence::x509 {

inline constexpr std::string_view kOidDiceTcbInfo = "2.23.133.5.4.1";
inline constexpr std::string_view kOidNvidiaTcbInfo = "2.23.133.5.4.1.1";
inline constexpr std::string_view kOidDiceUeid = "2.23.133.5.4.4";

// FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
struct Fwid {
  HashAlg alg = HashAlg::sha384;
  std::vector<uint8_t> digest;
  friend bool operator==(const Fwid&, const Fwid&) = default;
};

// DiceTcbInfo (TCG DICE Attestation Architecture 6.1.1); every field OPTIONAL, IMPLICIT tags [0]..[10].
struct TcbInfo {
  std::optional<std::string> vendor;      // [0] UTF8String
  std::optional<std::string> model;       // [1] UTF8String
  std::optional<std::string> version;     // [2] UTF8String
  std::optional<uint64_t> svn;            // [3] INTEGER
  std::optional<uint64_t> layer;          // [4] INTEGER
  std::optional<uint64_t> index;          // [5] INTEGER
  std::vector<Fwid> fwids;                // [6] SEQUENCE OF FWID
  std::optional<std::vector<uint8_t>> flags;        // [7] BIT STRING (raw contents)
  std::optional<std::vector<uint8_t>> vendor_info;  // [8] OCTET STRING
  std::optional<std::vector<uint8_t>> type;         // [9] OCTET STRING
  std::optional<std::vector<uint8_t>> flags_mask;   // [10] BIT STRING (raw contents)
};

enum class FwidSource {
  nvidia_hopper,  // 2.23.133.5.4.1, NVIDIA's SEQUENCE { INTEGER, SPKI, FWID }
  dice_tcb_info,  // fwids[0] of a DiceTcbInfo under 2.23.133.5.4.1
  nvidia_tcb_info,  // fwids[0] of a DiceTcbInfo under 2.23.133.5.4.1.1 (Blackwell)
};

struct LeafFwid {
  Fwid fwid;
  FwidSource source;
};

// Decodes a DiceTcbInfo (the extension value). Fails with gpu.cert.fwid_malformed: not DER, fields
// out of order or repeated, trailing bytes, an FWID whose digest length is not its algorithm's.
std::expected<TcbInfo, Error> parse_tcb_info(std::span<const uint8_t> der);

// Decodes NVIDIA's Hopper FWID extension value (see above); fails with gpu.cert.fwid_malformed.
std::expected<Fwid, Error> parse_nvidia_hopper_fwid(std::span<const uint8_t> der);

// The firmware id of a device leaf: 2.23.133.5.4.1.1 (fwids[0]) when present, else 2.23.133.5.4.1
// read as NVIDIA's Hopper layout, or as a DiceTcbInfo when it is one (first element a context tag).
// Fails with gpu.cert.fwid_missing (neither extension; e.g. the chain lacks its FMC leaf),
// gpu.cert.fwid_malformed, gpu.cert.duplicate_extension.
std::expected<LeafFwid, Error> extract_fwid(const Certificate& leaf);

// The DICE UEID (2.23.133.5.4.4) of a certificate, nullopt when absent. NVIDIA's leaves carry none;
// NVIDIA's verifiers report the leaf serial number in decimal as "ueid" (Certificate::serial_decimal).
// Fails with gpu.cert.ueid_malformed or gpu.cert.duplicate_extension.
std::expected<std::optional<std::vector<uint8_t>>, Error> extract_ueid(const Certificate& cert);

}  // namespace attestd::evidence::x509
