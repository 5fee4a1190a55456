// Internal: libxml2 / libxmlsec1 setup and owning pointers, shared by the RIM parser and verifier.
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "attestd/evidence/error.h"

namespace attestd::evidence::rim::detail {

template <auto Free>
struct XmlDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDeleter<xmlFreeDoc>>;
using KeysMngrPtr = std::unique_ptr<xmlSecKeysMngr, XmlDeleter<xmlSecKeysMngrDestroy>>;
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, XmlDeleter<xmlSecDSigCtxDestroy>>;
using KeyPtr = std::unique_ptr<xmlSecKey, XmlDeleter<xmlSecKeyDestroy>>;
inline void free_xml_string(xmlChar* s) { xmlFree(s); }
using XmlStringPtr = std::unique_ptr<xmlChar, XmlDeleter<free_xml_string>>;

// Initialises libxml2, xmlsec and its OpenSSL backend once per process (thread-safe); false if
// xmlsec cannot be initialised. Nothing is ever shut down.
bool ensure_xmlsec();

// The errors xmlsec reported on this thread since the last call, joined; clears them.
std::string take_xmlsec_errors();

// Parses a RIM document: at most kMaxRimSize bytes, no network, no entity expansion, no DTD at all
// (a DOCTYPE is refused, which rules out entity expansion attacks). Fails with rim.malformed.
std::expected<XmlDocPtr, Error> parse_document(std::string_view xml);

// XML namespaces of the RIM format.
inline constexpr std::string_view kNsSwid = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd";
inline constexpr std::string_view kNsTcgRim =
    "https://trustedcomputinggroup.org/resource/tcg-reference-integrity-manifest-rim-information-model/";
inline constexpr std::string_view kNsDsig = "http://www.w3.org/2000/09/xmldsig#";

// Helpers over libxml2 nodes, with no casts at the call sites.
std::string_view text(const xmlChar* s);
bool is_element(const xmlNode* node, std::string_view ns, std::string_view local_name);

}  // namespace attestd::evidence::rim::detail
