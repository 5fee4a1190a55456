// GET /v1/audit (auditor, admin): the tenant's records, newest first, filtered and paged with an
// opaque cursor. GET /v1/audit/export: the chain as JSON lines (docs/audit.md) ending with the
// newest checkpoint, for SIEM ingestion and `attestctl audit verify`. GET /v1/audit/checkpoints.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <string>

#include "api_context.h"
#include "attestd/result/base64url.h"
#include "attestd/store/audit_chain.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;

constexpr int64_t kExportPage = 5000;
constexpr int64_t kExportMax = 100'000;  // lines per response; a "continue" line says where to resume
constexpr std::string_view kCursorPrefix = "a1.";

Problem query_invalid(std::string detail) { return Problem::bad_request("audit.query_invalid", std::move(detail)); }

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Milliseconds since the epoch, or RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS[.fff]Z".
std::optional<store::Timestamp> parse_time(std::string_view s) {
  if (auto ms = parse_int(s)) return store::Timestamp(std::chrono::milliseconds(*ms));
  if (s.size() < 20 || s.back() != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) { return parse_int(s.substr(pos, len)); };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), sec = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;
  int64_t frac_ms = 0;
  const std::string_view rest = s.substr(19, s.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 4) return std::nullopt;
    auto f = parse_int(rest.substr(1));
    if (!f || *f < 0) return std::nullopt;
    frac_ms = *f;
    for (size_t i = rest.size() - 1; i < 3; ++i) frac_ms *= 10;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*y)),
                                        std::chrono::month(static_cast<unsigned>(*mo)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  return store::Timestamp(std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(*h) +
                          std::chrono::minutes(*mi) + std::chrono::seconds(*sec) +
                          std::chrono::milliseconds(frac_ms));
}

std::string rfc3339_ms(store::Timestamp t) {
  return fmt::format("{}.{:03}Z", iso8601(std::chrono::system_clock::time_point(t)).substr(0, 19),
                     t.time_since_epoch().count() % 1000);
}

nlohmann::json record_json(const store::AuditRecord& r) {
  return {{"id", r.id},
          {"seq", r.chain_seq},
          {"time", rfc3339_ms(r.time)},
          {"actor", r.actor},
          {"action", r.action},
          {"object", r.object},
          {"details", r.details},
          {"request_id", r.request_id},
          {"client_address", r.client_address},
          {"hash", store::audit_hex(r.hash)}};
}

// One export line: every hashed field as stored (details as its exact text too), docs/audit.md.
nlohmann::json export_line(std::string_view tenant_id, const store::AuditRecord& r) {
  return {{"type", "record"},
          {"tenant", tenant_id},
          {"id", r.id},
          {"seq", r.chain_seq},
          {"time_ms", r.time.time_since_epoch().count()},
          {"actor", r.actor},
          {"action", r.action},
          {"object", r.object},
          {"details", r.details},
          {"details_text", r.details_text},
          {"request_id", r.request_id},
          {"client_address", r.client_address},
          {"prev_hash", store::audit_hex(r.prev_hash)},
          {"hash", store::audit_hex(r.hash)}};
}

nlohmann::json checkpoint_json(const store::AuditCheckpoint& c) {
  return {{"size", c.size},
          {"head", store::audit_hex(c.head)},
          {"time_ms", c.time.time_since_epoch().count()},
          {"jws", c.jws}};
}

HandlerResult list(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  store::AuditQuery q;
  for (const auto& [name, field] : {std::pair{"host", &q.host}, std::pair{"action", &q.action},
                                    std::pair{"verdict", &q.verdict}, std::pair{"reason", &q.reason},
                                    std::pair{"object", &q.object}}) {
    if (auto v = request.query_param(name)) *field = std::string(*v);
  }
  for (const auto& [name, field] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
    if (auto v = request.query_param(name)) {
      auto t = parse_time(*v);
      if (!t) return std::unexpected(query_invalid(fmt::format("{} must be RFC 3339 UTC or epoch milliseconds", name)));
      *field = *t;
    }
  }
  if (auto v = request.query_param("limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 1000) return std::unexpected(query_invalid("limit must be 1..1000"));
    q.limit = *n;
  }
  if (auto v = request.query_param("cursor")) {
    auto raw = result::base64url_decode(*v);
    std::optional<int64_t> id;
    if (raw) {
      const std::string text(raw->begin(), raw->end());
      if (text.starts_with(kCursorPrefix)) id = parse_int(std::string_view(text).substr(kCursorPrefix.size()));
    }
    if (!id || *id < 1) return std::unexpected(Problem::bad_request("audit.cursor_invalid", "cursor is not valid"));
    q.before_id = *id;
  }
  auto records = ctx.store->list_audit(*scope, q);
  if (!records) return std::unexpected(store_problem(records.error()));
  nlohmann::json out = {{"records", nlohmann::json::array()}};
  for (const auto& r : *records) out["records"].push_back(record_json(r));
  if (static_cast<int64_t>(records->size()) == q.limit && !records->empty()) {
    out["next_cursor"] = result::base64url_encode(fmt::format("{}{}", kCursorPrefix, records->back().id));
  }
  return Response::json(200, out);
}

HandlerResult export_lines(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  std::optional<store::Timestamp> since;
  if (auto v = request.query_param("since")) {
    since = parse_time(*v);
    if (!since) return std::unexpected(query_invalid("since must be RFC 3339 UTC or epoch milliseconds"));
  }
  int64_t after_seq = 0;
  if (auto v = request.query_param("after_seq")) {
    auto n = parse_int(*v);
    if (!n || *n < 0) return std::unexpected(query_invalid("after_seq must be a non-negative integer"));
    after_seq = *n;
  }
  // The checkpoint is read before the records: the log only grows, so the records read after it
  // always reach as far as it does.
  auto checkpoints = ctx.store->list_audit_checkpoints(*scope, 1);
  if (!checkpoints) return std::unexpected(store_problem(checkpoints.error()));
  std::string body;
  int64_t lines = 0;
  bool more = false;
  for (;;) {
    auto page = ctx.store->export_audit(*scope, after_seq, lines == 0 ? since : std::nullopt, kExportPage);
    if (!page) return std::unexpected(store_problem(page.error()));
    for (const auto& r : *page) {
      body += export_line(scope->tenant_id(), r).dump();
      body += '\n';
      after_seq = r.chain_seq;
      ++lines;
    }
    if (static_cast<int64_t>(page->size()) < kExportPage) break;
    if (lines >= kExportMax) {
      more = true;
      break;
    }
  }
  if (more) body += nlohmann::json({{"type", "continue"}, {"after_seq", after_seq}}).dump() + "\n";
  if (!checkpoints->empty()) {
    nlohmann::json line = checkpoint_json(checkpoints->front());
    line["type"] = "checkpoint";
    body += line.dump() + "\n";
  }
  return Response::text(200, std::move(body), "application/jsonl");
}

HandlerResult list_checkpoints(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  int64_t limit = 100;
  if (auto v = request.query_param("limit")) {
    auto n = parse_int(*v);
    if (!n || *n < 1 || *n > 1000) return std::unexpected(query_invalid("limit must be 1..1000"));
    limit = *n;
  }
  auto checkpoints = ctx.store->list_audit_checkpoints(*scope, limit);
  if (!checkpoints) return std::unexpected(store_problem(checkpoints.error()));
  nlohmann::json out = {{"tenant", scope->tenant_id()}, {"checkpoints", nlohmann::json::array()}};
  for (const auto& c : *checkpoints) out["checkpoints"].push_back(checkpoint_json(c));
  return Response::json(200, out);
}

}  // namespace

void add_audit_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  using server::Role;
  const auto readers = server::Access::roles({Role::auditor, Role::admin});
  routes.push_back({Method::get, "/v1/audit", readers, [ctx](const Request& r) { return list(*ctx, r); }});
  routes.push_back({Method::get, "/v1/audit/export", readers, [ctx](const Request& r) { return export_lines(*ctx, r); }});
  routes.push_back(
      {Method::get, "/v1/audit/checkpoints", readers, [ctx](const Request& r) { return list_checkpoints(*ctx, r); }});
}

}  // namespace attestd::service
