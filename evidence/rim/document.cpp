// Parsing RIM XML with libxml2 under a hostile-input profile.
#include <fmt/format.h>
#include <libxml/xmlerror.h>

#include "attestd/evidence/rim/reasons.h"
#include "attestd/evidence/rim/rim.h"
#include "xml.h"

namespace attestd::evidence::rim::detail {

namespace {

using ParserCtxPtr = std::unique_ptr<xmlParserCtxt, XmlDeleter<xmlFreeParserCtxt>>;

std::unexpected<Error> malformed(std::string message) {
  return std::unexpected(Error{kRimMalformed, std::move(message)});
}

}  // namespace

std::string_view text(const xmlChar* s) {
  if (s == nullptr) return {};
  // xmlChar is unsigned char holding UTF-8; char may alias it. The one place attestd converts.
  return std::string_view(reinterpret_cast<const char*>(s));
}

bool is_element(const xmlNode* node, std::string_view ns, std::string_view local_name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr && text(node->ns->href) == ns &&
         text(node->name) == local_name;
}

std::expected<XmlDocPtr, Error> parse_document(std::string_view xml) {
  if (xml.size() > kMaxRimSize) {
    return malformed(fmt::format("RIM of {} bytes exceeds the {}-byte limit", xml.size(), kMaxRimSize));
  }
  if (!ensure_xmlsec()) return malformed("xmlsec cannot be initialised");
  ParserCtxPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) return malformed("cannot allocate an XML parser");
  // No network, no entity substitution, no DTD loading, quiet; XML_PARSE_HUGE stays off so that
  // libxml2's own depth and size limits apply.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "rim.xml", nullptr, options));
  if (!doc || ctxt->wellFormed == 0) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    return malformed(fmt::format("not well-formed XML: {}",
                                 err != nullptr && err->message != nullptr ? err->message : "unknown error"));
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) return malformed("a DOCTYPE is not allowed in a RIM");
  if (xmlDocGetRootElement(doc.get()) == nullptr) return malformed("no root element");
  return doc;
}

}  // namespace attestd::evidence::rim::detail
