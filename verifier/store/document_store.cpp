// Reference sets and policies: named JSON documents, versioned per tenant. A put never
// overwrites; the version an attestation was appraised under stays readable (issue 7 asks
// "under which golden values").
#include <fmt/format.h>

#include <array>

#include "audit_log.h"
#include "ids.h"
#include "json_text.h"
#include "sha256.h"
#include "sqlite_store.h"

namespace attestd::store::sqlite {

namespace {

// The two kinds share one shape; only the table and the audit names differ. Table names come
// from this fixed list, never from input.
struct DocumentSql {
  std::string_view noun;  // audit action prefix and object prefix
  std::string next_version;
  std::string insert;
  std::string select_version;
  std::string select_latest;
  std::string select_all;
  std::string select_current;  // newest version of every name
  std::string select_current_versions;  // the same without the documents
  std::string retire;
  std::string exists;
};

DocumentSql make_sql(std::string_view table, std::string_view noun) {
  const std::string columns = "SELECT name, version, document, created_at, retired_at FROM " + std::string(table);
  return DocumentSql{
      noun,
      fmt::format("SELECT COALESCE(MAX(version), 0) + 1 FROM {} WHERE tenant_id = ? AND name = ?", table),
      fmt::format("INSERT INTO {} (tenant_id, name, version, document, created_at) VALUES (?, ?, ?, ?, ?)", table),
      columns + " WHERE tenant_id = ? AND name = ? AND version = ?",
      columns + " WHERE tenant_id = ? AND name = ? ORDER BY version DESC LIMIT 1",
      columns + " WHERE tenant_id = ? AND name = ? ORDER BY version",
      columns + fmt::format(" AS d WHERE tenant_id = ? AND version = (SELECT MAX(version) FROM {} AS n "
                            "WHERE n.tenant_id = d.tenant_id AND n.name = d.name) ORDER BY name",
                            table),
      fmt::format("SELECT name, version, retired_at FROM {} AS d WHERE tenant_id = ? AND version = (SELECT "
                  "MAX(version) FROM {} AS n WHERE n.tenant_id = d.tenant_id AND n.name = d.name) ORDER BY name",
                  table, table),
      fmt::format("UPDATE {} SET retired_at = ? WHERE tenant_id = ? AND name = ? AND retired_at IS NULL", table),
      fmt::format("SELECT 1 FROM {} WHERE tenant_id = ? AND name = ? LIMIT 1", table),
  };
}

const DocumentSql& sql_for(DocumentKind kind) {
  static const std::array<DocumentSql, 2> kSql = {make_sql("reference_sets", "reference_set"),
                                                  make_sql("policies", "policy")};
  return kSql[kind == DocumentKind::reference_set ? 0 : 1];
}

Result<VersionedDocument> document_from_row(const Query& q) {
  auto doc = parse_json(q.text(2), "document");
  if (!doc) return std::unexpected(std::move(doc.error()));
  return VersionedDocument{q.text(0), q.integer(1), std::move(*doc), q.time(3), q.optional_time(4)};
}

}  // namespace

Result<VersionedDocument> SqliteStore::put_document(const TenantScope& scope, DocumentKind kind,
                                                    std::string_view name, const nlohmann::json& document,
                                                    const RequestContext& ctx) {
  const DocumentSql& sql = sql_for(kind);
  if (name.empty()) return fail(StoreErrorCode::invalid_argument, fmt::format("{} name is empty", sql.noun));
  auto text = dump_json(document, sql.noun);
  if (!text) return std::unexpected(std::move(text.error()));
  auto digest = sha256({reinterpret_cast<const uint8_t*>(text->data()), text->size()});
  if (!digest) return std::unexpected(std::move(digest.error()));
  return writer_->run([&](Connection& c) -> Result<VersionedDocument> {
    auto next = c.select(sql.next_version, scope.tenant_id(), name);
    if (!next) return std::unexpected(std::move(next.error()));
    auto row = next->step();
    if (!row) return std::unexpected(std::move(row.error()));
    const int64_t version = next->integer(0);
    // (tenant_id, name, version) is the primary key: two replicas racing on a shared database
    // cannot both create version n; one gets conflict.
    auto inserted = c.execute(sql.insert, scope.tenant_id(), name, version, *text, ctx.now);
    if (!inserted) return std::unexpected(std::move(inserted.error()));
    AuditEvent event{fmt::format("{}.put", sql.noun), fmt::format("{}:{}@{}", sql.noun, name, version),
                     {{"version", version}, {"sha256", to_hex(*digest)}}};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return VersionedDocument{std::string(name), version, document, ctx.now, std::nullopt};
  });
}

Result<VersionedDocument> SqliteStore::get_document(const TenantScope& scope, DocumentKind kind,
                                                    std::string_view name, std::optional<int64_t> version) {
  const DocumentSql& sql = sql_for(kind);
  return readers_->with([&](Connection& c) -> Result<VersionedDocument> {
    auto q = version ? c.select(sql.select_version, scope.tenant_id(), name, *version)
                     : c.select(sql.select_latest, scope.tenant_id(), name);
    if (!q) return std::unexpected(std::move(q.error()));
    auto row = q->step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return fail(StoreErrorCode::not_found, fmt::format("no such {}", sql.noun));
    auto doc = document_from_row(*q);
    if (doc && !version && doc->retired_at) {
      return fail(StoreErrorCode::not_found, fmt::format("no such {}", sql.noun));
    }
    return doc;
  });
}

Result<std::vector<VersionedDocument>> SqliteStore::list_document_versions(const TenantScope& scope,
                                                                           DocumentKind kind, std::string_view name) {
  const DocumentSql& sql = sql_for(kind);
  return readers_->with([&](Connection& c) -> Result<std::vector<VersionedDocument>> {
    auto q = c.select(sql.select_all, scope.tenant_id(), name);
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<VersionedDocument> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      auto doc = document_from_row(*q);
      if (!doc) return std::unexpected(std::move(doc.error()));
      out.push_back(std::move(*doc));
    }
    if (out.empty()) return fail(StoreErrorCode::not_found, fmt::format("no such {}", sql.noun));
    return out;
  });
}

Result<std::vector<VersionedDocument>> SqliteStore::list_documents(const TenantScope& scope, DocumentKind kind) {
  const DocumentSql& sql = sql_for(kind);
  return readers_->with([&](Connection& c) -> Result<std::vector<VersionedDocument>> {
    auto q = c.select(sql.select_current, scope.tenant_id());
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<VersionedDocument> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      auto doc = document_from_row(*q);
      if (!doc) return std::unexpected(std::move(doc.error()));
      // A retired name is gone for selection, as get_document treats it.
      if (!doc->retired_at) out.push_back(std::move(*doc));
    }
    return out;
  });
}

Result<std::vector<DocumentVersion>> SqliteStore::current_document_versions(const TenantScope& scope,
                                                                           DocumentKind kind) {
  const DocumentSql& sql = sql_for(kind);
  return readers_->with([&](Connection& c) -> Result<std::vector<DocumentVersion>> {
    auto q = c.select(sql.select_current_versions, scope.tenant_id());
    if (!q) return std::unexpected(std::move(q.error()));
    std::vector<DocumentVersion> out;
    for (;;) {
      auto row = q->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) break;
      if (!q->optional_time(2)) out.push_back(DocumentVersion{q->text(0), q->integer(1)});
    }
    return out;
  });
}

Result<void> SqliteStore::retire_document(const TenantScope& scope, DocumentKind kind, std::string_view name,
                                          const RequestContext& ctx) {
  const DocumentSql& sql = sql_for(kind);
  return writer_->run([&](Connection& c) -> Result<void> {
    auto exists = c.select(sql.exists, scope.tenant_id(), name);
    if (!exists) return std::unexpected(std::move(exists.error()));
    auto found = exists->step();
    if (!found) return std::unexpected(std::move(found.error()));
    if (!*found) return fail(StoreErrorCode::not_found, fmt::format("no such {}", sql.noun));
    auto retired = c.execute(sql.retire, ctx.now, scope.tenant_id(), name);
    if (!retired) return std::unexpected(std::move(retired.error()));
    if (*retired == 0) return {};  // already retired: nothing changed, nothing to audit
    AuditEvent event{fmt::format("{}.retire", sql.noun), fmt::format("{}:{}", sql.noun, name),
                     nlohmann::json::object()};
    auto audited = append_audit_row(c, scope.tenant_id(), scope.actor(), event, ctx);
    if (!audited) return std::unexpected(std::move(audited.error()));
    return {};
  });
}

}  // namespace attestd::store::sqlite
