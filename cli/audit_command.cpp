// attestctl audit: verify the audit log offline (issue 7) and read it from a running attestd.
//   audit verify --data-dir DIR | --export FILE | (server options)  [--jwks FILE] [--from-checkpoint FILE]
//   audit query [--host H] [--action A] [--verdict V] [--reason R] [--since T] [--until T] [--limit N] [--json]
//   audit tail [-f] [filters]
// verify re-walks every hash chain (docs/audit.md), checks each checkpoint's ES256 signature and
// that its head is the chain's hash at its size, and names the first bad record of each chain.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api_client.h"
#include "attestd/result/signing_key.h"
#include "attestd/service/audit_checkpoints.h"
#include "attestd/store/audit_chain.h"
#include "commands.h"
#include "file_io.h"
#include "table.h"

namespace attestd::cli {

namespace {

using store::ChainFault;
using store::ChainRecord;
using store::ChainVerifier;
using store::Sha256;

struct CheckpointRow {
  std::string tenant_id;
  int64_t size = 0;
  Sha256 head{};
  std::string jws;
  std::string origin;  // "stored checkpoint 3", "--from-checkpoint"
};

// One chain being verified, with the checkpoints that claim something about it.
struct ChainState {
  explicit ChainState(const std::string& tenant) : verifier(tenant) {}
  ChainVerifier verifier;
  std::multimap<int64_t, CheckpointRow> checkpoints;  // by size
  int64_t checkpoints_ok = 0;
  bool anchored = true;  // false when an export starts after record 1 (its first prev_hash is trusted)
};

struct Verification {
  std::vector<result::VerificationKey> keys;
  bool have_keys = false;
  std::map<std::string, ChainState> chains;
  std::vector<std::string> problems;  // checkpoint problems not tied to a record

  ChainState& chain(const std::string& tenant) { return chains.try_emplace(tenant, tenant).first->second; }

  void add_checkpoint(CheckpointRow row) {
    if (have_keys) {
      auto claims = service::verify_checkpoint(row.jws, keys);
      if (!claims) {
        problems.push_back(fmt::format("{}: {} ({})", claims.error().reason_id, claims.error().message, row.origin));
        return;
      }
      if (claims->tenant_id != row.tenant_id || claims->size != row.size || claims->head != row.head) {
        problems.push_back(fmt::format("audit.checkpoint.claims_mismatch: the signed claims differ from the stored "
                                       "columns ({})",
                                       row.origin));
        return;
      }
    }
    chain(row.tenant_id).checkpoints.emplace(row.size, std::move(row));
  }

  void feed(const ChainRecord& r) {
    ChainState& c = chain(r.tenant_id);
    if (!c.verifier.add(r)) return;
    auto [lo, hi] = c.checkpoints.equal_range(c.verifier.size());
    for (auto it = lo; it != hi; ++it) {
      if (it->second.head == c.verifier.head()) {
        ++c.checkpoints_ok;
      } else {
        c.verifier.fail(ChainFault{"audit.checkpoint.head_mismatch",
                                   fmt::format("record {} is not what {} signed", r.chain_seq, it->second.origin),
                                   r.chain_seq, r.id});
      }
    }
  }

  // After every record: checkpoints beyond the end mean records were removed from the end.
  void finish() {
    for (auto& [tenant, c] : chains) {
      if (c.verifier.fault()) continue;
      for (const auto& [size, cp] : c.checkpoints) {
        if (size > c.verifier.size()) {
          c.verifier.fail(ChainFault{"audit.checkpoint.beyond_log",
                                     fmt::format("{} covers {} records but the chain has {}: records were removed "
                                                 "from its end",
                                                 cp.origin, size, c.verifier.size()),
                                     c.verifier.size() + 1, 0});
          break;
        }
      }
    }
  }

  int report(std::ostream& out) const {
    bool bad = !problems.empty();
    for (const auto& p : problems) out << "FAIL " << p << "\n";
    for (const auto& [tenant, c] : chains) {
      const std::string name = tenant.empty() ? "(system)" : tenant;
      if (const auto& f = c.verifier.fault()) {
        bad = true;
        out << fmt::format("FAIL {} chain {}: record {}{}: {}\n", f->reason_id, name, f->chain_seq,
                           f->id != 0 ? fmt::format(" (row {})", f->id) : "", f->message);
        continue;
      }
      const int64_t unsigned_records =
          c.verifier.size() - (c.checkpoints.empty() ? 0 : c.checkpoints.rbegin()->first);
      out << fmt::format("OK chain {}: {} records, head {}, {} checkpoint(s) match{}{}\n", name, c.verifier.size(),
                         store::audit_hex(c.verifier.head()), c.checkpoints_ok,
                         unsigned_records > 0 ? fmt::format(", {} record(s) after the newest checkpoint",
                                                            unsigned_records)
                                              : "",
                         c.anchored ? "" : ", export starts mid-chain (its first prev_hash is taken on trust)");
    }
    if (!have_keys) out << "note: no keys given (--jwks): checkpoint signatures were not checked\n";
    return bad ? kExitInvalid : kExitValid;
  }
};

std::optional<Sha256> blob_hash(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) != SQLITE_BLOB || sqlite3_column_bytes(s, col) != 32) return std::nullopt;
  Sha256 h{};
  std::memcpy(h.data(), sqlite3_column_blob(s, col), h.size());
  return h;
}

std::string column_text(sqlite3_stmt* s, int col) {
  const auto* p = sqlite3_column_text(s, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// Reads DIR/attestd.db read-only (the service may keep running) and feeds every chain.
std::expected<void, std::string> verify_database(const std::filesystem::path& dir, Verification& v) {
  const auto path = dir / "attestd.db";
  if (!std::filesystem::exists(path)) return std::unexpected(fmt::format("{}: no such database", path.string()));
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return std::unexpected(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db.db)));
  }
  // One read transaction: a consistent snapshot even while attestd appends.
  sqlite3_exec(db.db, "BEGIN", nullptr, nullptr, nullptr);
  {
    Stmt cp;
    if (sqlite3_prepare_v2(db.db, "SELECT id, tenant_id, size, head, jws FROM audit_checkpoints ORDER BY id", -1,
                           &cp.s, nullptr) != SQLITE_OK) {
      return std::unexpected(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db.db)));
    }
    while (sqlite3_step(cp.s) == SQLITE_ROW) {
      auto head = blob_hash(cp.s, 3);
      CheckpointRow row{column_text(cp.s, 1), sqlite3_column_int64(cp.s, 2), head.value_or(Sha256{}),
                        column_text(cp.s, 4), fmt::format("stored checkpoint {}", sqlite3_column_int64(cp.s, 0))};
      v.add_checkpoint(std::move(row));
    }
  }
  // audit_reasons is keyed (tenant_id, reason, audit_id) for queries by reason, so looking up one
  // record's reasons in it scans the tenant's whole reason index: quadratic in the log (1.6 s at
  // 50k records, 5.6 s at 100k, hours at 10 M). A temporary copy keyed by record, built in one pass
  // inside this read transaction, makes each lookup a search.
  if (sqlite3_exec(db.db,
                   "CREATE TEMP TABLE verify_reasons AS SELECT tenant_id, audit_id, reason FROM audit_reasons;"
                   "CREATE INDEX temp.verify_reasons_by_record ON verify_reasons(tenant_id, audit_id, reason);",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return std::unexpected(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db.db)));
  }
  Stmt q;
  // The derived index columns are read beside the record: they must be what the record says.
  constexpr const char* kSql =
      "SELECT a.id, a.tenant_id, a.chain_seq, a.time, a.actor, a.action, a.object, a.details, a.request_id, "
      "a.client_address, a.prev_hash, a.hash, a.host, a.verdict, "
      "(SELECT group_concat(reason, char(10)) FROM (SELECT reason FROM verify_reasons r "
      " WHERE r.tenant_id = a.tenant_id AND r.audit_id = a.id ORDER BY reason)) "
      "FROM audit a ORDER BY a.tenant_id, a.chain_seq, a.id";
  if (sqlite3_prepare_v2(db.db, kSql, -1, &q.s, nullptr) != SQLITE_OK) {
    return std::unexpected(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db.db)));
  }
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    ChainRecord r;
    r.id = sqlite3_column_int64(q.s, 0);
    r.tenant_id = column_text(q.s, 1);
    r.chain_seq = sqlite3_column_int64(q.s, 2);
    r.time_ms = sqlite3_column_int64(q.s, 3);
    r.actor = column_text(q.s, 4);
    r.action = column_text(q.s, 5);
    r.object = column_text(q.s, 6);
    r.details = column_text(q.s, 7);
    r.request_id = column_text(q.s, 8);
    r.client_address = column_text(q.s, 9);
    r.prev_hash = blob_hash(q.s, 10);
    r.hash = blob_hash(q.s, 11);
    v.feed(r);
    ChainState& c = v.chain(r.tenant_id);
    if (c.verifier.fault() || c.verifier.size() != r.chain_seq) continue;
    auto details = nlohmann::json::parse(r.details, nullptr, false);
    const auto derived = store::audit_derived(r.object, details);
    std::string reasons;
    for (const auto& id : derived.reasons) reasons += (reasons.empty() ? "" : "\n") + id;
    auto opt_text = [&](int col) -> std::optional<std::string> {
      if (sqlite3_column_type(q.s, col) == SQLITE_NULL) return std::nullopt;
      return column_text(q.s, col);
    };
    if (opt_text(12) != derived.host || opt_text(13) != derived.verdict || opt_text(14).value_or("") != reasons) {
      c.verifier.fail(ChainFault{"audit.chain.derived_mismatch",
                                 fmt::format("record {}: its host/verdict/reason index entries differ from the "
                                             "record (a query would miss or misfile it)",
                                             r.chain_seq),
                                 r.chain_seq, r.id});
    }
  }
  if (rc != SQLITE_DONE) return std::unexpected(fmt::format("{}: {}", path.string(), sqlite3_errmsg(db.db)));
  return {};
}

std::optional<Sha256> json_hash(const nlohmann::json& line, const char* key) {
  if (!line.contains(key) || !line[key].is_string()) return std::nullopt;
  return store::audit_hash_from_hex(line[key].get<std::string>());
}

// The JSON lines of GET /v1/audit/export (docs/audit.md).
std::expected<void, std::string> verify_export(std::istream& in, const std::string& origin, Verification& v) {
  std::string text;
  int64_t line_no = 0;
  std::vector<CheckpointRow> checkpoints;
  std::vector<ChainRecord> records;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.empty()) continue;
    auto line = nlohmann::json::parse(text, nullptr, false);
    auto where = [&] { return fmt::format("{}:{}", origin, line_no); };
    if (!line.is_object() || !line.contains("type") || !line["type"].is_string()) {
      return std::unexpected(fmt::format("{}: not an export line", where()));
    }
    const std::string type = line["type"].get<std::string>();
    try {
      if (type == "record") {
        ChainRecord r;
        r.id = line.at("id").get<int64_t>();
        r.tenant_id = line.at("tenant").get<std::string>();
        r.chain_seq = line.at("seq").get<int64_t>();
        r.time_ms = line.at("time_ms").get<int64_t>();
        r.actor = line.at("actor").get<std::string>();
        r.action = line.at("action").get<std::string>();
        r.object = line.at("object").get<std::string>();
        r.details = line.at("details_text").get<std::string>();
        r.request_id = line.at("request_id").get<std::string>();
        r.client_address = line.at("client_address").get<std::string>();
        r.prev_hash = json_hash(line, "prev_hash");
        r.hash = json_hash(line, "hash");
        // What a SIEM reads (details) must be what is hashed (details_text).
        if (nlohmann::json::parse(r.details, nullptr, false) != line.at("details")) {
          return std::unexpected(fmt::format("{}: audit.export.details_mismatch: record {}: details differ from "
                                             "details_text",
                                             where(), r.chain_seq));
        }
        records.push_back(std::move(r));
      } else if (type == "checkpoint") {
        auto head = json_hash(line, "head");
        checkpoints.push_back(CheckpointRow{"", line.at("size").get<int64_t>(), head.value_or(Sha256{}),
                                            line.at("jws").get<std::string>(), fmt::format("checkpoint at {}", where())});
      } else if (type != "continue") {
        return std::unexpected(fmt::format("{}: unknown line type {}", where(), type));
      }
    } catch (const nlohmann::json::exception&) {
      return std::unexpected(fmt::format("{}: a member is missing or has the wrong type", where()));
    }
  }
  // The checkpoint lines name no tenant column: they belong to the export's chain.
  const std::string tenant = records.empty() ? std::string() : records.front().tenant_id;
  for (auto& cp : checkpoints) {
    cp.tenant_id = tenant;
    v.add_checkpoint(std::move(cp));
  }
  if (!records.empty() && records.front().chain_seq > 1 && records.front().prev_hash) {
    ChainState& c = v.chain(tenant);
    c.verifier = ChainVerifier(tenant, records.front().chain_seq - 1, *records.front().prev_hash);
    c.anchored = false;
  }
  for (const auto& r : records) v.feed(r);
  return {};
}

std::expected<std::string, std::string> read_text(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::unexpected(bytes.error());
  return std::string(bytes->begin(), bytes->end());
}

struct VerifyOptions {
  std::string data_dir;
  std::string export_file;
  std::string jwks_file;
  std::string from_checkpoint;
  ServerOptions server;
};

int verify(const VerifyOptions& o) {
  Verification v;
  auto fail = [](const std::string& message) {
    fmt::print(stderr, "attestctl: {}\n", message);
    return kExitUsage;
  };
  if (!o.jwks_file.empty()) {
    auto text = read_text(o.jwks_file);
    if (!text) return fail(text.error());
    auto keys = result::parse_jwks(*text);
    if (!keys) return fail(fmt::format("{}: {}", o.jwks_file, keys.error().message));
    v.keys = std::move(*keys);
    v.have_keys = true;
  } else if (!o.data_dir.empty()) {
    // The data directory holds the signing key itself; its public half checks the checkpoints.
    auto pem = read_text((std::filesystem::path(o.data_dir) / result::kSigningKeyFileName).string());
    if (pem) {
      auto key = result::SigningKey::from_pem(*pem);
      if (key) {
        v.keys.push_back(key->verification_key());
        v.have_keys = true;
      }
    }
  }
  if (!o.from_checkpoint.empty()) {
    auto text = read_text(o.from_checkpoint);
    if (!text) return fail(text.error());
    std::string jws = *text;
    while (!jws.empty() && (jws.back() == '\n' || jws.back() == '\r' || jws.back() == ' ')) jws.pop_back();
    // Either the bare JWS or a checkpoint line/object carrying it.
    if (auto j = nlohmann::json::parse(jws, nullptr, false); j.is_object() && j.contains("jws") && j["jws"].is_string()) {
      jws = j["jws"].get<std::string>();
    }
    if (!v.have_keys) return fail("--from-checkpoint needs keys: --jwks FILE (or --data-dir with its signing key)");
    auto claims = service::verify_checkpoint(jws, v.keys);
    if (!claims) {
      std::cout << fmt::format("FAIL {}: {} (--from-checkpoint)\n", claims.error().reason_id, claims.error().message);
      return kExitInvalid;
    }
    // Held like a stored checkpoint: the walk must pass through its head at its size, so the log
    // it signed is a prefix of the log now (it only grew).
    v.chain(claims->tenant_id)
        .checkpoints.emplace(claims->size,
                             CheckpointRow{claims->tenant_id, claims->size, claims->head, jws, "--from-checkpoint"});
  }
  if (!o.data_dir.empty()) {
    if (auto r = verify_database(o.data_dir, v); !r) return fail(r.error());
  } else {
    std::string text;
    std::string origin;
    if (!o.export_file.empty()) {
      auto t = read_text(o.export_file);
      if (!t) return fail(t.error());
      text = std::move(*t);
      origin = o.export_file;
    } else {
      auto client = ApiClient::create(o.server);
      if (!client) return fail(client.error());
      auto response = client->get("/v1/audit/export");
      if (!response || !response->ok()) return report_api_error(response);
      text = std::move(response->body);
      origin = client->url() + "/v1/audit/export";
    }
    std::istringstream in(text);
    if (auto r = verify_export(in, origin, v); !r) {
      std::cout << "FAIL " << r.error() << "\n";
      return kExitInvalid;
    }
  }
  v.finish();
  return v.report(std::cout);
}

struct QueryOptions {
  std::string host, action, verdict, reason, since, until;
  int limit = 50;
  bool json = false;
  bool follow = false;
  int interval_ms = 1000;
  ServerOptions server;
};

std::string query_target(const QueryOptions& o, int limit) {
  std::string target = fmt::format("/v1/audit?limit={}", limit);
  for (const auto& [name, value] : {std::pair{"host", &o.host}, std::pair{"action", &o.action},
                                    std::pair{"verdict", &o.verdict}, std::pair{"reason", &o.reason},
                                    std::pair{"since", &o.since}, std::pair{"until", &o.until}}) {
    if (!value->empty()) target += fmt::format("&{}={}", name, url_encode(*value));
  }
  return target;
}

std::string reasons_cell(const nlohmann::json& details) {
  std::string out;
  if (auto it = details.find("reasons"); it != details.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (r.is_string()) out += (out.empty() ? "" : ",") + r.get<std::string>();
    }
  }
  return out;
}

void print_records(const std::vector<nlohmann::json>& records, bool json) {
  if (json) {
    for (const auto& r : records) std::cout << r.dump() << "\n";
    std::cout.flush();
    return;
  }
  Table table({"TIME", "SEQ", "ACTOR", "ACTION", "OBJECT", "VERDICT", "REASONS"});
  for (const auto& r : records) {
    const auto& d = r.value("details", nlohmann::json::object());
    table.add({r.value("time", ""), std::to_string(r.value("seq", 0)), r.value("actor", ""), r.value("action", ""),
               r.value("object", ""), d.is_object() ? d.value("verdict", "") : "", reasons_cell(d)});
  }
  table.print(std::cout);
  std::cout.flush();
}

std::expected<std::vector<nlohmann::json>, int> fetch(ApiClient& client, const std::string& target) {
  auto r = client.get(target);
  if (int rc = report_api_error(r); rc != kExitValid) return std::unexpected(rc);
  auto doc = r->json();
  if (!doc || !doc->contains("records") || !(*doc)["records"].is_array()) {
    fmt::print(stderr, "attestctl: the server's answer is not an audit page\n");
    return std::unexpected(kExitInvalid);
  }
  return (*doc)["records"].get<std::vector<nlohmann::json>>();
}

int query(const QueryOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) {
    fmt::print(stderr, "attestctl: {}\n", client.error());
    return kExitUsage;
  }
  auto records = fetch(*client, query_target(o, o.limit));
  if (!records) return records.error();
  print_records(*records, o.json);
  return kExitValid;
}

// The newest records oldest first; with --follow, then every record appended after them as it
// appears (polling, since the API is request/response).
int tail(const QueryOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) {
    fmt::print(stderr, "attestctl: {}\n", client.error());
    return kExitUsage;
  }
  auto first = fetch(*client, query_target(o, o.limit));
  if (!first) return first.error();
  std::reverse(first->begin(), first->end());
  print_records(*first, o.json);
  int64_t last_id = first->empty() ? 0 : first->back().value("id", int64_t{0});
  while (o.follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    auto page = fetch(*client, query_target(o, 1000));
    if (!page) return page.error();
    std::vector<nlohmann::json> fresh;
    for (const auto& r : *page) {
      if (r.value("id", int64_t{0}) > last_id) fresh.push_back(r);
    }
    if (fresh.empty()) continue;
    std::reverse(fresh.begin(), fresh.end());
    print_records(fresh, true);  // a stream: one JSON line per record, easy to pipe
    last_id = fresh.back().value("id", last_id);
  }
  return kExitValid;
}

}  // namespace

void add_audit_commands(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);

  auto vo = std::make_shared<VerifyOptions>();
  auto* verify_cmd = audit->add_subcommand(
      "verify", "re-verify the hash chains and signed checkpoints; names the first bad record of each chain");
  verify_cmd->add_option("--data-dir", vo->data_dir, "attestd data directory (reads attestd.db read-only)");
  verify_cmd->add_option("--export", vo->export_file, "a JSON-lines export (GET /v1/audit/export)");
  verify_cmd->add_option("--jwks", vo->jwks_file, "JWKS of the service (/.well-known/jwks.json) for signatures");
  verify_cmd->add_option("--from-checkpoint", vo->from_checkpoint,
                         "an older checkpoint (JWS or export line): prove the log only grew since");
  add_server_options(*verify_cmd, vo->server);
  verify_cmd->callback([vo, &exit_code] { exit_code = verify(*vo); });

  auto qo = std::make_shared<QueryOptions>();
  auto* query_cmd = audit->add_subcommand("query", "the tenant's records, newest first (GET /v1/audit)");
  auto* tail_cmd = audit->add_subcommand("tail", "the newest records, oldest first; -f follows new ones");
  for (auto* cmd : {query_cmd, tail_cmd}) {
    cmd->add_option("--host", qo->host, "records about this host");
    cmd->add_option("--action", qo->action, "e.g. attestation.record, policy.put, auth.failure");
    cmd->add_option("--verdict", qo->verdict, "affirming | warning | contraindicated | none");
    cmd->add_option("--reason", qo->reason, "a reason id, e.g. tpm.quote.pcr_digest_mismatch");
    cmd->add_option("--since", qo->since, "RFC 3339 UTC time or epoch milliseconds (inclusive)");
    cmd->add_option("--until", qo->until, "RFC 3339 UTC time or epoch milliseconds (exclusive)");
    cmd->add_option("--limit", qo->limit, "records to show (1..1000)")->check(CLI::Range(1, 1000));
    cmd->add_flag("--json", qo->json, "one JSON object per line instead of a table");
    add_server_options(*cmd, qo->server);
  }
  tail_cmd->add_flag("-f,--follow", qo->follow, "keep printing records as they are appended (JSON lines)");
  tail_cmd->add_option("--interval-ms", qo->interval_ms, "how often to look for new records")
      ->check(CLI::Range(100, 60000));
  query_cmd->callback([qo, &exit_code] { exit_code = query(*qo); });
  tail_cmd->callback([qo, &exit_code] { exit_code = tail(*qo); });
}

}  // namespace attestd::cli
