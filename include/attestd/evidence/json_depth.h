// Nesting depth of JSON text, measured before a recursive parser sees it: nlohmann's parser
// recurses per level, so a deep document from the network would otherwise exhaust a thread's stack.
#pragma once

#include <cstddef>
#include <string_view>

namespace attestd::evidence {

// The deepest nesting of objects and arrays in `text`, counting only brackets outside strings.
// Does not validate: malformed text may give any number, and the parser rejects it afterwards.
size_t json_nesting_depth(std::string_view text);

}  // namespace attestd::evidence
