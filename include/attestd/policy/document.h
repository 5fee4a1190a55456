// What reference-set and policy documents share: the format version, the error list a parse
// returns, and the limits that keep hostile documents cheap to reject.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "attestd/evidence/error.h"

namespace attestd::policy {

// The only document format version this build understands ("version": 1, the default when the key
// is absent). A new version is needed only when the meaning of an existing key changes; new rules
// arrive as new keys, which older builds reject as unknown (fail closed, never silently ignored).
inline constexpr int64_t kFormatVersion = 1;

// Objects and arrays nested deeper than this are refused before parsing: both documents need at
// most 4 levels, and a bound keeps a hostile document from exhausting the stack.
inline constexpr size_t kMaxDocumentDepth = 16;

// Names of policies, reference sets and keys: 1-64 of [A-Za-z0-9._-], starting with a letter or
// digit, because they appear in URLs, audit objects ("policy:NAME@3") and EAR claims.
inline constexpr size_t kMaxNameLength = 64;
bool is_valid_name(std::string_view name);

// Every problem found in one document, in a deterministic order (unknown keys of an object first,
// then its members by key); never empty when returned as an error.
// Each id is one of the document ids of reasons.h and each message starts with the JSON Pointer
// (RFC 6901) of the offending value.
using DocumentErrors = std::vector<evidence::Error>;

}  // namespace attestd::policy
