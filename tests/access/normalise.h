// What two answers about different objects may differ in, taken out so that the rest can be
// compared byte for byte: the request id (header and body), values that are fresh per object
// (store ids, timestamps, nonces, credential blobs) and the object identifiers the request named.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "test_client.h"

namespace attestd::access_test {

// The answer as one comparable text: the status, every header but X-Request-Id (names sorted),
// and the body with volatile JSON members replaced by "<volatile>" and each of `names` by
// "<objN>" (N its position).
std::string normalise(const server::test::HttpResponse& r, const std::vector<std::string>& names);

// The identifiers of `watched` that occur in the answer's headers or body, except those in
// `request_text`, what the caller itself said (an answer may echo it).
std::vector<std::string> leaked(const server::test::HttpResponse& r, const std::vector<std::string>& watched,
                                std::string_view request_text);

}  // namespace attestd::access_test
