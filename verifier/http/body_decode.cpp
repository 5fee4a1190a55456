// Request::body_json: JSON and CBOR bodies into one nlohmann::json model.
//
// JSON is parsed by simdjson (json_decode.h), which bounds the nesting itself without recursing.
// CBOR is decoded by nlohmann behind an iterative nesting pre-scan: nlohmann's CBOR reader
// recurses per level, and copying or destroying a deep json value recurses too, so a 1 MiB body
// of nested arrays would otherwise overflow a worker's stack.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "attestd/evidence/cbor_scan.h"
#include "attestd/server/request.h"
#include "json_decode.h"

namespace attestd::server {
namespace {

using evidence::CborScan;
using evidence::scan_cbor;

std::unexpected<Problem> bad_body(std::string id, std::string detail) {
  return std::unexpected(Problem::bad_request(std::move(id), std::move(detail)));
}

}  // namespace

std::expected<nlohmann::json, Problem> Request::body_json() const {
  const std::string_view type = content_type;
  const bool is_json = type == "application/json" || type.ends_with("+json");
  const bool is_cbor = type == "application/cbor" || type.ends_with("+cbor");
  if (is_json) {
    auto doc = detail::decode_json(body, max_nesting_depth);
    if (!doc) {
      return bad_body(doc.error().too_deep ? "http.body.too_deep" : "http.body.malformed_json",
                      std::move(doc.error().message));
    }
    return std::move(*doc);
  }
  if (is_cbor) {
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    switch (scan_cbor(bytes, max_nesting_depth)) {
      case CborScan::ok: break;
      case CborScan::too_deep:
        return bad_body("http.body.too_deep", fmt::format("CBOR nested deeper than {} levels", max_nesting_depth));
      case CborScan::malformed: return bad_body("http.body.malformed_cbor", "malformed CBOR body");
    }
    try {
      // Tags are refused (the default): our API defines none, and ignoring them would accept
      // meanings we do not check.
      return nlohmann::json::from_cbor(bytes);
    } catch (const nlohmann::json::exception& e) {
      return bad_body("http.body.malformed_cbor", fmt::format("malformed CBOR body: {}", e.what()));
    }
  }
  Problem p = Problem::make(415, "http.body.unsupported_media_type",
                            fmt::format("expected application/json or application/cbor, got '{}'",
                                        content_type.empty() ? "(none)" : content_type));
  return std::unexpected(std::move(p));
}

}  // namespace attestd::server
