// Error values of the storage layer. Nothing in the data-access API throws: every failure is a
// StoreError with a closed code the service maps to a response, and a message for logs.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace attestd::store {

enum class StoreErrorCode {
  not_found,                   // no such object in this tenant (also: it belongs to another tenant)
  conflict,                    // an object with this key already exists
  invalid_argument,            // the caller passed something the schema cannot hold (bad JSON, empty name)
  challenge_not_found,         // no such challenge for this tenant and host
  challenge_expired,           // the challenge exists but its lifetime has passed
  challenge_consumed,          // the challenge was already used once
  enrollment_expired,          // credential activation came too late
  enrollment_consumed,         // the enrollment was already activated
  enrollment_secret_mismatch,  // the recovered secret is not the one MakeCredential wrapped
  token_expired,               // authentication with a token past its expiry
  token_revoked,               // authentication with a revoked token
  unavailable,                 // the database stayed busy beyond the retry budget, or the store is closing
  internal,                    // anything else: I/O error, corrupt row, disk full
};

// Stable lower-case name of a code ("challenge_consumed"), for logs and metrics.
std::string_view to_string(StoreErrorCode code);

struct StoreError {
  StoreErrorCode code = StoreErrorCode::internal;
  std::string message;

  friend bool operator==(const StoreError&, const StoreError&) = default;
};

template <class T>
using Result = std::expected<T, StoreError>;

}  // namespace attestd::store
