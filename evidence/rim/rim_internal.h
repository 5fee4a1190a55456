// Internal: content extraction over an already parsed document, shared by parse_rim and verify_rim.
#pragma once

#include <libxml/tree.h>

#include <expected>

#include "attestd/evidence/error.h"
#include "attestd/evidence/rim/rim.h"

namespace attestd::evidence::rim::detail {

std::expected<Rim, Error> extract_rim(const xmlDoc* doc);

}  // namespace attestd::evidence::rim::detail
