// Decoding the content of an NVIDIA RIM: SWID SoftwareIdentity, Meta and Payload/Resource
// (ISO/IEC 19770-2:2015 8.6-8.9; TCG RIM Information Model 1.01 Meta attributes; NVIDIA's
// Resource attributes, FORMATS-SPDM 7.5).
#include "attestd/evidence/rim/rim.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "attestd/evidence/digest.h"
#include "attestd/evidence/rim/reasons.h"
#include "rim_internal.h"
#include "xml.h"

namespace attestd::evidence::rim {

namespace {

using detail::is_element;
using detail::kNsSwid;
using detail::kNsTcgRim;
using detail::text;

std::unexpected<Error> malformed(std::string message) {
  return std::unexpected(Error{kRimMalformed, std::move(message)});
}

// XML-Enc digest method URIs (W3C XML Encryption 5.7.2 / 5.7.3) used as the namespace of HashN.
std::optional<HashAlg> hash_alg_from_namespace(std::string_view ns) {
  if (ns == "http://www.w3.org/2001/04/xmlenc#sha256") return HashAlg::sha256;
  if (ns == "http://www.w3.org/2001/04/xmlenc#sha384") return HashAlg::sha384;
  if (ns == "http://www.w3.org/2001/04/xmlenc#sha512") return HashAlg::sha512;
  return std::nullopt;
}

// Attributes of one element: (namespace href or "", local name) -> value.
using Attributes = std::map<std::pair<std::string, std::string>, std::string>;

std::expected<Attributes, Error> attributes(const xmlNode* node) {
  Attributes out;
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    std::string ns = a->ns != nullptr ? std::string(text(a->ns->href)) : std::string();
    std::string value;
    for (const xmlNode* c = a->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_ENTITY_REF_NODE) value += text(c->content);
    }
    if (!out.emplace(std::make_pair(std::move(ns), std::string(text(a->name))), std::move(value)).second) {
      return malformed(fmt::format("attribute '{}' repeated on <{}>", text(a->name), text(node->name)));
    }
  }
  return out;
}

std::string get(const Attributes& attrs, std::string_view ns, std::string_view name) {
  const auto it = attrs.find({std::string(ns), std::string(name)});
  return it == attrs.end() ? std::string() : it->second;
}

// A plain decimal number (no sign, no spaces) of at most `max`.
std::optional<unsigned> decimal(std::string_view s, unsigned max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > max) return std::nullopt;
  return value;
}

std::expected<GoldenMeasurement, Error> parse_resource(const xmlNode* node) {
  auto attrs = attributes(node);
  if (!attrs) return std::unexpected(attrs.error());
  GoldenMeasurement m;
  const auto index = decimal(get(*attrs, "", "index"), kMaxRimIndex);
  if (!index) return malformed(fmt::format("Resource index '{}' is not a number 0..{}", get(*attrs, "", "index"), kMaxRimIndex));
  m.index = static_cast<uint8_t>(*index);
  const std::string where = fmt::format("Resource index {}", *index);

  const std::string active = get(*attrs, "", "active");
  if (active != "True" && active != "False") return malformed(fmt::format("{}: active '{}' is not True/False", where, active));
  m.active = active == "True";
  m.name = get(*attrs, "", "name");

  const auto alternatives = decimal(get(*attrs, "", "alternatives"), kMaxAlternatives);
  if (!alternatives || *alternatives == 0) {
    return malformed(fmt::format("{}: alternatives '{}' is not 1..{}", where, get(*attrs, "", "alternatives"), kMaxAlternatives));
  }
  const auto size = decimal(get(*attrs, "", "size"), static_cast<unsigned>(kMaxDigestSize));
  if (!size) return malformed(fmt::format("{}: size '{}' is not 0..{}", where, get(*attrs, "", "size"), kMaxDigestSize));
  m.size = *size;

  // Hash0 .. Hash{alternatives-1}, all in one XML-Enc digest namespace, and no other HashN.
  std::optional<std::string> hash_ns;
  size_t hashes = 0;
  for (const auto& [key, value] : *attrs) {
    if (!key.second.starts_with("Hash") || key.first.empty()) continue;
    ++hashes;
    if (hash_ns && *hash_ns != key.first) return malformed(fmt::format("{}: HashN in different namespaces", where));
    hash_ns = key.first;
  }
  if (!hash_ns) return malformed(fmt::format("{}: no HashN attribute", where));
  const auto alg = hash_alg_from_namespace(*hash_ns);
  if (!alg) return malformed(fmt::format("{}: HashN namespace '{}' is not an XML-Enc SHA-2 URI", where, *hash_ns));
  m.alg = *alg;
  if (m.size != digest_size(m.alg)) {
    return malformed(fmt::format("{}: size {} is not the {} digest size", where, m.size, hash_alg_name(m.alg)));
  }
  if (hashes != *alternatives) {
    return malformed(fmt::format("{}: {} HashN attributes for alternatives={}", where, hashes, *alternatives));
  }
  for (unsigned k = 0; k < *alternatives; ++k) {
    const auto it = attrs->find({*hash_ns, fmt::format("Hash{}", k)});
    if (it == attrs->end()) return malformed(fmt::format("{}: Hash{} missing", where, k));
    const auto bytes = from_hex(it->second);
    if (!bytes || it->second.starts_with("0x") || bytes->size() != m.size) {
      return malformed(fmt::format("{}: Hash{} is not {} bytes of hex", where, k, m.size));
    }
    m.alternatives.emplace_back(bytes->begin(), bytes->end());
  }
  return m;
}

}  // namespace

const GoldenMeasurement* Rim::find(uint8_t index) const {
  const auto it = std::ranges::find(measurements, index, &GoldenMeasurement::index);
  return it == measurements.end() ? nullptr : &*it;
}

namespace detail {

std::expected<Rim, Error> extract_rim(const xmlDoc* doc) {
  const xmlNode* root = xmlDocGetRootElement(doc);
  if (!is_element(root, kNsSwid, "SoftwareIdentity")) return malformed("the root is not a SWID SoftwareIdentity");
  auto root_attrs = attributes(root);
  if (!root_attrs) return std::unexpected(root_attrs.error());

  Rim rim;
  rim.info.name = get(*root_attrs, "", "name");
  rim.info.tag_id = get(*root_attrs, "", "tagId");
  rim.info.version = get(*root_attrs, "", "version");
  rim.info.tag_version = get(*root_attrs, "", "tagVersion");
  // ISO/IEC 19770-2:2015 8.6: name and tagId are required.
  if (rim.info.name.empty() || rim.info.tag_id.empty()) return malformed("SoftwareIdentity lacks name or tagId");

  const xmlNode* meta = nullptr;
  const xmlNode* payload = nullptr;
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (is_element(c, kNsSwid, "Meta")) {
      if (meta != nullptr) return malformed("more than one Meta");
      meta = c;
    } else if (is_element(c, kNsSwid, "Payload")) {
      if (payload != nullptr) return malformed("more than one Payload");
      payload = c;
    }
  }
  if (meta == nullptr) return malformed("no Meta element");
  if (payload == nullptr) return malformed("no Payload element");

  auto meta_attrs = attributes(meta);
  if (!meta_attrs) return std::unexpected(meta_attrs.error());
  rim.info.colloquial_version = get(*meta_attrs, "", "colloquialVersion");
  rim.info.product = get(*meta_attrs, "", "product");
  rim.info.edition = get(*meta_attrs, "", "edition");
  rim.info.revision = get(*meta_attrs, "", "revision");
  rim.info.platform_model = get(*meta_attrs, kNsTcgRim, "PlatformModel");
  rim.info.platform_manufacturer_id = get(*meta_attrs, kNsTcgRim, "PlatformManufacturerId");
  rim.info.firmware_manufacturer_id = get(*meta_attrs, kNsTcgRim, "FirmwareManufacturerId");
  if (rim.info.colloquial_version.empty()) return malformed("Meta lacks colloquialVersion");

  for (const xmlNode* c = payload->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (!is_element(c, kNsSwid, "Resource")) {
      return malformed(fmt::format("unexpected <{}> in Payload", text(c->name)));
    }
    auto attrs = attributes(c);
    if (!attrs) return std::unexpected(attrs.error());
    if (get(*attrs, "", "type") != "Measurement") continue;  // other resource kinds carry no golden value
    auto m = parse_resource(c);
    if (!m) return std::unexpected(m.error());
    if (rim.find(m->index) != nullptr) return malformed(fmt::format("Resource index {} appears twice", m->index));
    rim.measurements.push_back(std::move(*m));
  }
  std::ranges::sort(rim.measurements, {}, &GoldenMeasurement::index);
  return rim;
}

}  // namespace detail

std::expected<Rim, Error> parse_rim(std::string_view xml) {
  auto doc = detail::parse_document(xml);
  if (!doc) return std::unexpected(doc.error());
  return detail::extract_rim(doc->get());
}

}  // namespace attestd::evidence::rim
