// Where request ids come from: random by default, a counter in tests that want to predict them.
#pragma once

#include <memory>
#include <string>

namespace attestd::server {

class RequestIdSource {
 public:
  virtual ~RequestIdSource() = default;
  // A new id; thread-safe.
  virtual std::string next() = 0;
};

// 16 bytes from the OpenSSL CSPRNG as 32 hex digits: unguessable, so ids given to clients do not
// reveal the request rate.
std::unique_ptr<RequestIdSource> make_random_request_ids();

}  // namespace attestd::server
