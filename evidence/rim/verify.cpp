// XML-DSig verification of NVIDIA RIMs with libxmlsec1 (OpenSSL backend) and validation of the
// ds:KeyInfo chain to the pinned NVIDIA RIM root.
#include "attestd/evidence/rim/verify.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmltree.h>

#include <ranges>

#include "attestd/evidence/rim/reasons.h"
#include "attestd/evidence/x509/chain.h"
#include "attestd/evidence/x509/reasons.h"
#include "rim_internal.h"
#include "xml.h"

namespace attestd::evidence::rim {

namespace {

using detail::DSigCtxPtr;
using detail::is_element;
using detail::KeyPtr;
using detail::KeysMngrPtr;
using detail::kNsDsig;
using detail::text;
using detail::XmlDocPtr;
using detail::XmlStringPtr;

void add(std::vector<Error>& reasons, std::string_view id, std::string message) {
  reasons.push_back(Error{id, std::move(message)});
}

// Every ds:Signature element of the subtree.
void find_signatures(const xmlNode* node, std::vector<const xmlNode*>& out) {
  for (const xmlNode* c = node; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_element(c, kNsDsig, "Signature")) out.push_back(c);
    find_signatures(c->children, out);
  }
}

const xmlNode* child(const xmlNode* node, std::string_view name) {
  for (const xmlNode* c = node != nullptr ? node->children : nullptr; c != nullptr; c = c->next) {
    if (is_element(c, kNsDsig, name)) return c;
  }
  return nullptr;
}

std::vector<uint8_t> base64_decode(std::string_view b64, bool& ok) {
  std::string compact;
  for (const char c : b64) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
  }
  ok = !compact.empty() && compact.size() % 4 == 0;
  if (!ok) return {};
  const std::vector<unsigned char> in(compact.begin(), compact.end());
  std::vector<uint8_t> out(compact.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), in.data(), static_cast<int>(in.size()));
  if (n < 0) {
    ok = false;
    return {};
  }
  size_t len = static_cast<size_t>(n);
  if (compact.ends_with("==")) {
    len -= 2;
  } else if (compact.ends_with("=")) {
    len -= 1;
  }
  out.resize(len);
  return out;
}

// The certificates of Signature/KeyInfo/X509Data/X509Certificate in document order (W3C XML-DSig
// 4.5.4); empty with a reason when there are none or one does not decode.
std::vector<x509::Certificate> keyinfo_chain(const xmlNode* signature, std::vector<Error>& reasons) {
  std::vector<x509::Certificate> chain;
  const xmlNode* data = child(child(signature, "KeyInfo"), "X509Data");
  for (const xmlNode* c = data != nullptr ? data->children : nullptr; c != nullptr; c = c->next) {
    if (!is_element(c, kNsDsig, "X509Certificate")) continue;
    if (chain.size() == x509::kMaxChainLength) {
      add(reasons, kRimCertChainInvalid, fmt::format("more than {} certificates in ds:X509Data", x509::kMaxChainLength));
      return {};
    }
    XmlStringPtr content(xmlNodeGetContent(c));
    bool ok = false;
    const auto der = base64_decode(text(content.get()), ok);
    auto cert = ok ? x509::parse_certificate_der(der) : std::unexpected(Error{x509::kCertMalformed, "not base64"});
    if (!cert) {
      add(reasons, kRimCertMalformed, fmt::format("ds:X509Certificate {}: {}", chain.size(), cert.error().message));
      return {};
    }
    chain.push_back(std::move(*cert));
  }
  if (chain.empty()) add(reasons, kRimCertChainInvalid, "no ds:KeyInfo/ds:X509Data/ds:X509Certificate");
  return chain;
}

std::string_view rim_cert_reason(std::string_view x509_id) {
  if (x509_id == x509::kCertExpired) return kRimCertExpired;
  if (x509_id == x509::kCertNotYetValid) return kRimCertNotYetValid;
  if (x509_id == x509::kCertUntrustedRoot) return kRimCertUntrustedRoot;
  if (x509_id == x509::kCertMalformed) return kRimCertMalformed;
  return kRimCertChainInvalid;
}

// A signature context restricted to NVIDIA's RIM profile: Reference URI="" only (the whole document,
// W3C XML-DSig 4.4.3.3), c14n 1.1 (4.4.1), ecdsa-sha384 (RFC 6931 2.3.6), sha384 (RFC 6931 2.1.3),
// the enveloped-signature transform (6.6.4), keys only from X.509 data.
DSigCtxPtr make_ctx(xmlSecKeysMngr* mngr) {
  DSigCtxPtr ctx(xmlSecDSigCtxCreate(mngr));
  if (!ctx) return ctx;
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
  const bool ok = xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformInclC14N11Id) == 0 &&
                  xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecOpenSSLTransformEcdsaSha384Id) == 0 &&
                  xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformEnvelopedId) == 0 &&
                  xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformInclC14N11Id) == 0 &&
                  xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecOpenSSLTransformSha384Id) == 0 &&
                  // The list stores klass pointers as void*; xmlsec never writes through them.
                  xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData,
                                   const_cast<_xmlSecKeyDataKlass*>(xmlSecOpenSSLKeyDataX509Id)) == 0;
  if (!ok) ctx.reset();
  return ctx;
}

// Runs the verification of `signature` (a node of `doc`) with `ctx`; an empty string on success,
// else why it failed.
std::string run_verify(xmlSecDSigCtx* ctx, xmlNode* signature) {
  detail::take_xmlsec_errors();
  if (xmlSecDSigCtxVerify(ctx, signature) < 0) {
    const std::string errors = detail::take_xmlsec_errors();
    return errors.empty() ? std::string("xmlSecDSigCtxVerify failed") : errors;
  }
  if (ctx->status != xmlSecDSigStatusSucceeded) {
    const std::string errors = detail::take_xmlsec_errors();
    return errors.empty() ? std::string("the signature or a reference digest does not match") : errors;
  }
  // One Reference (to the whole document); anything else is outside the profile.
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) return "SignedInfo must hold exactly one Reference";
  return {};
}

// Locates the only ds:Signature of a fresh copy of the document, which must be a child of the root.
xmlNode* signature_of(xmlDoc* doc) {
  std::vector<const xmlNode*> found;
  find_signatures(xmlDocGetRootElement(doc), found);
  if (found.size() != 1) return nullptr;
  for (xmlNode* c = xmlDocGetRootElement(doc)->children; c != nullptr; c = c->next) {
    if (c == found.front()) return c;
  }
  return nullptr;
}

// W3C XML-DSig 3.2 core validation with `leaf`'s key given directly: no chain involved.
std::string verify_with_key(const xmlDoc* original, const x509::Certificate& leaf) {
  XmlDocPtr doc(xmlCopyDoc(const_cast<xmlDoc*>(original), 1));
  xmlNode* signature = doc ? signature_of(doc.get()) : nullptr;
  if (signature == nullptr) return "cannot copy the document";
  x509::PkeyPtr pkey = leaf.public_key();
  if (!pkey) return "the signing certificate's key does not decode";
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey.get());
  if (data == nullptr) return fmt::format("xmlsec refuses the signing key: {}", detail::take_xmlsec_errors());
  pkey.release();  // now owned by `data`
  KeyPtr key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return "cannot build the xmlsec key";
  }
  DSigCtxPtr ctx = make_ctx(nullptr);
  if (!ctx) return "cannot build the signature context";
  ctx->signKey = key.release();  // owned and destroyed by ctx
  return run_verify(ctx.get(), signature);
}

// What `xmlsec1 --verify --trusted-pem ROOT --verification-time T` does, within the profile.
std::string verify_with_trusted_root(const xmlDoc* original, const x509::Certificate& root,
                                     std::chrono::sys_seconds at) {
  XmlDocPtr doc(xmlCopyDoc(const_cast<xmlDoc*>(original), 1));
  xmlNode* signature = doc ? signature_of(doc.get()) : nullptr;
  if (signature == nullptr) return "cannot copy the document";
  KeysMngrPtr mngr(xmlSecKeysMngrCreate());
  if (!mngr || xmlSecOpenSSLAppDefaultKeysMngrInit(mngr.get()) < 0) return "cannot build the keys manager";
  const auto der = root.der();
  if (xmlSecOpenSSLAppKeysMngrCertLoadMemory(mngr.get(), der.data(), static_cast<xmlSecSize>(der.size()),
                                             xmlSecKeyDataFormatDer, xmlSecKeyDataTypeTrusted) < 0) {
    return fmt::format("xmlsec refuses the RIM root: {}", detail::take_xmlsec_errors());
  }
  DSigCtxPtr ctx = make_ctx(mngr.get());
  if (!ctx) return "cannot build the signature context";
  ctx->keyInfoReadCtx.certsVerificationTime = static_cast<time_t>(at.time_since_epoch().count());
  return run_verify(ctx.get(), signature);
}

}  // namespace

RimVerification verify_rim(std::string_view xml, const x509::Certificate& rim_root, std::chrono::sys_seconds at) {
  RimVerification result;
  auto& reasons = result.reasons;

  auto doc = detail::parse_document(xml);
  if (!doc) {
    reasons.push_back(doc.error());
    return result;
  }
  auto rim = detail::extract_rim(doc->get());
  if (rim) {
    result.rim = std::move(*rim);
  } else {
    reasons.push_back(rim.error());
  }

  // W3C XML-DSig 6.6.4: an enveloped signature, here the only one, directly under the root, so that
  // the Reference URI="" covers exactly the content extracted above.
  std::vector<const xmlNode*> signatures;
  find_signatures(xmlDocGetRootElement(doc->get()), signatures);
  if (signatures.size() != 1 || signatures.front()->parent != xmlDocGetRootElement(doc->get())) {
    add(reasons, kRimSignatureMissing,
        fmt::format("{} ds:Signature elements; exactly one, a child of the root, is required", signatures.size()));
    result.valid = false;
    return result;
  }

  result.signing_chain = keyinfo_chain(signatures.front(), reasons);
  if (result.signing_chain.empty()) return result;

  const auto chain = x509::validate_chain(result.signing_chain, rim_root, at);
  for (const Error& e : chain.reasons) {
    add(reasons, rim_cert_reason(e.id), fmt::format("RIM signing chain: {} ({})", e.message, e.id));
  }

  const std::string signature_error = verify_with_key(doc->get(), result.signing_chain.front());
  if (!signature_error.empty()) add(reasons, kRimSignatureInvalid, signature_error);

  if (chain.valid && signature_error.empty()) {
    const std::string xmlsec_error = verify_with_trusted_root(doc->get(), rim_root, at);
    if (!xmlsec_error.empty()) {
      add(reasons, kRimCertChainInvalid, fmt::format("xmlsec refuses the signing chain: {}", xmlsec_error));
    }
  }
  result.valid = reasons.empty();
  return result;
}

}  // namespace attestd::evidence::rim
