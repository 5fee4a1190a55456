// Process-wide libxml2 / libxmlsec1 (OpenSSL backend) initialisation and error capture.
#include <xmlsec/xmlsec.h>
// After xmlsec.h, which defines the types these use.
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>

#include <mutex>

#include "xml.h"

namespace attestd::evidence::rim::detail {

namespace {

thread_local std::string t_errors;

// xmlsec reports through a global callback; the messages go to the calling thread's buffer so
// that a failed verification can say why, and nothing is printed.
void capture_error(const char* /*file*/, int /*line*/, const char* func, const char* /*object*/,
                   const char* /*subject*/, int reason, const char* msg) {
  if (t_errors.size() > 4096) return;
  if (!t_errors.empty()) t_errors += "; ";
  t_errors += func != nullptr ? func : "?";
  t_errors += ": ";
  const char* reason_text = xmlSecErrorsGetMsg(static_cast<xmlSecSize>(reason));
  if (reason_text != nullptr) t_errors += reason_text;
  if (msg != nullptr && msg[0] != '\0') {
    t_errors += " (";
    t_errors += msg;
    t_errors += ")";
  }
}

}  // namespace

bool ensure_xmlsec() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    xmlInitParser();
    if (xmlSecInit() < 0) return;
    if (xmlSecCheckVersion() != 1) return;
    if (xmlSecOpenSSLAppInit(nullptr) < 0) return;
    if (xmlSecOpenSSLInit() < 0) return;
    // Last: the initialisers above install xmlsec's default callback, which prints.
    xmlSecErrorsSetCallback(capture_error);
    ok = true;
  });
  return ok;
}

std::string take_xmlsec_errors() {
  std::string out;
  out.swap(t_errors);
  return out;
}

}  // namespace attestd::evidence::rim::detail
