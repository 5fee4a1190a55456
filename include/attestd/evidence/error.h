// Error values returned on every untrusted path of evidence/ and policy/.
#pragma once

#include <string>
#include <string_view>

namespace attestd::evidence {

// A reason why evidence was rejected: a stable id from one of the reasons.h headers
// (for example "tpm.quote.bad_magic") and a message for humans that names the offending
// field, offset or value. Ids never change once shipped; messages may.
struct Error {
  std::string_view id;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

}  // namespace attestd::evidence
