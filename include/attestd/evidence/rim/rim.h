// NVIDIA RIMs (reference integrity manifests): ISO/IEC 19770-2:2015 SWID tags with TCG RIM
// Information Model attributes in Meta and one Resource per GPU measurement in Payload
// (FORMATS-SPDM 7.5):
//   <Resource type="Measurement" index="3" active="True" alternatives="2"
//             ns2:Hash0="<hex>" ns2:Hash1="<hex>" name="..." size="48"/>
// with ns2 the XML-Enc digest URI (http://www.w3.org/2001/04/xmlenc#sha384). This header decodes the
// content only; verify.h checks the signature.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"
#include "attestd/evidence/hash_alg.h"

namespace attestd::evidence::rim {

inline constexpr size_t kMaxRimSize = 4 * 1024 * 1024;
// RIM index i is SPDM measurement block i + 1 and SPDM block indices are 1..0xFE (DSP0274 10.11).
inline constexpr unsigned kMaxRimIndex = 0xFD;
inline constexpr unsigned kMaxAlternatives = 64;

struct GoldenMeasurement {
  uint8_t index = 0;  // RIM index; SPDM block index is index + 1
  bool active = false;
  std::string name;
  size_t size = 0;  // bytes of each alternative
  HashAlg alg = HashAlg::sha384;
  std::vector<std::vector<uint8_t>> alternatives;  // Hash0 .. Hash{alternatives-1}
};

struct RimInfo {
  // SoftwareIdentity attributes (ISO/IEC 19770-2:2015 8.6).
  std::string name;         // "GH100", "LS10"
  std::string tag_id;
  std::string version;      // SWID version ("1.0")
  std::string tag_version;
  // Meta attributes.
  std::string colloquial_version;  // driver "550.144.03" or VBIOS "96.00.5E.00.01"
  std::string product;
  std::string edition;             // "GPU", "SWITCH"
  std::string revision;
  std::string platform_model;             // TCG RIM IM PlatformModel
  std::string platform_manufacturer_id;   // TCG RIM IM PlatformManufacturerId ("5703")
  std::string firmware_manufacturer_id;   // TCG RIM IM FirmwareManufacturerId
};

struct Rim {
  RimInfo info;
  std::vector<GoldenMeasurement> measurements;  // every Resource of type Measurement, ascending index

  // The measurement with this RIM index, or nullptr. Borrowed from this Rim.
  [[nodiscard]] const GoldenMeasurement* find(uint8_t index) const;
};

// Decodes a RIM's content WITHOUT checking its signature (for tests, fuzzing and diagnosis; use
// verify_rim for anything trusted). Fails with rim.malformed naming the element or attribute.
// The text is only read during the call.
std::expected<Rim, Error> parse_rim(std::string_view xml);

}  // namespace attestd::evidence::rim
