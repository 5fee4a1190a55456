// Tenants and tokens (issue 8), offline or against the server:
//   attestctl [--data-dir DIR] tenant create NAME | list | delete NAME --yes
//   attestctl [--data-dir DIR] token create --tenant NAME --role ROLE [--expires-in 30d]
//                                           [--host H]... [--key K]... | list --tenant NAME | revoke ID
// With --data-dir they open the service's SQLite database directly (the server may run: WAL and the
// store's busy handling make that safe; a revocation takes effect on the server's next request).
// Without it they call the operator routes of a running attestd (--server/--token-file/--cacert,
// as `hosts`), with an operator token. A table by default, --json for the server's JSON either way.
// A new token is printed once, on stdout; only its SHA-256 is ever stored.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <charconv>
#include <iostream>
#include <memory>

#include "api_client.h"
#include "attestd/service/service.h"
#include "attestd/store/store.h"
#include "commands.h"
#include "file_io.h"
#include "table.h"

namespace attestd::cli {

namespace {

struct AdminOptions {
  ServerOptions server;
  bool json = false;
  bool yes = false;
  std::string name;  // tenant name, or token id for revoke
  std::string tenant;
  std::string role;
  std::string expires_in;
  std::vector<std::string> hosts;
  std::vector<std::string> keys;
};

std::expected<std::unique_ptr<store::Store>, std::string> open_store(const std::string& data_dir) {
  auto s = store::Store::open(std::filesystem::path(data_dir) / "attestd.db");
  if (!s) return std::unexpected(fmt::format("{}: {}", data_dir, s.error().message));
  return std::move(*s);
}

store::RequestContext cli_context() {
  return {std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()), "attestctl", ""};
}

std::string when(store::Timestamp t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::time_point(t)));
}

// The same JSON as the server's routes (verifier/service/tenants_api.cpp, tokens_api.cpp), so
// that --json reads the same offline and online.
nlohmann::json tenant_json(const store::Tenant& t) {
  return {{"id", t.id}, {"name", t.name}, {"created_at", when(t.created_at)}};
}

nlohmann::json token_json(const store::TokenInfo& t) {
  const auto names = [](const std::optional<std::vector<std::string>>& n) {
    return n ? nlohmann::json(*n) : nlohmann::json(nullptr);
  };
  return {{"id", t.id},
          {"tenant", t.tenant_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.tenant_name)},
          {"role", std::string(store::to_string(t.role))},
          {"created_at", when(t.created_at)},
          {"expires_at", t.expires_at ? nlohmann::json(when(*t.expires_at)) : nlohmann::json(nullptr)},
          {"revoked_at", t.revoked_at ? nlohmann::json(when(*t.revoked_at)) : nlohmann::json(nullptr)},
          {"hosts", names(t.allowed_hosts)},
          {"keys", names(t.allowed_keys)}};
}

// "90", "90s", "15m", "12h", "30d" -> seconds; nullopt for anything else or zero.
std::optional<int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: unit = 0; break;  // a bare number of seconds
  }
  if (unit == 0) {
    unit = 1;
  } else {
    text.remove_suffix(1);
  }
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0 || n > 3660LL * 86400 / unit) return std::nullopt;
  return n * unit;
}

// The member `key` of an answer, null when it is missing (a const json's operator[] would not be
// safe on an answer from another version of the server).
const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null;
  if (!j.is_object()) return null;
  const auto it = j.find(key);
  return it == j.end() ? null : *it;
}

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return out;
  }
  return v.dump();
}

int usage(const std::string& message) {
  std::cerr << "attestctl: " << message << "\n";
  return kExitUsage;
}

int failed(const std::string& message) {
  std::cerr << "attestctl: " << message << "\n";
  return kExitInvalid;
}

// Runs `offline` against the data directory or `online` against the server, and hands the JSON
// answer to `print`.
template <class Offline, class Online, class Print>
int run(const std::string& data_dir, const AdminOptions& o, Offline offline, Online online, Print print) {
  nlohmann::json answer;
  if (!data_dir.empty()) {
    auto s = open_store(data_dir);
    if (!s) return usage(s.error());
    auto r = offline(**s);
    if (!r) return failed(r.error());
    answer = std::move(*r);
  } else {
    auto client = ApiClient::create(o.server);
    if (!client) return usage(client.error() + " (or give --data-dir DIR to work offline)");
    auto r = online(*client);
    if (int rc = report_api_error(r); rc != kExitValid) return rc;
    auto j = r->json();
    if (!j) return failed(j.error());
    answer = std::move(*j);
  }
  if (o.json) {
    std::cout << answer.dump(2) << "\n";
  } else {
    print(answer);
  }
  return kExitValid;
}

void print_tenants(const nlohmann::json& tenants) {
  Table t({"name", "id", "created"});
  for (const auto& x : tenants) t.add({cell(member(x, "name")), cell(member(x, "id")), cell(member(x, "created_at"))});
  t.print(std::cout);
}

void print_tokens(const nlohmann::json& tokens) {
  Table t({"id", "tenant", "role", "created", "expires", "revoked", "hosts", "keys"});
  for (const auto& x : tokens) {
    t.add({cell(member(x, "id")), cell(member(x, "tenant")), cell(member(x, "role")), cell(member(x, "created_at")),
           cell(member(x, "expires_at")), cell(member(x, "revoked_at")),
           member(x, "hosts").is_null() ? "(any)" : cell(member(x, "hosts")),
           member(x, "keys").is_null() ? "(any)" : cell(member(x, "keys"))});
  }
  t.print(std::cout);
}

using Json = std::expected<nlohmann::json, std::string>;

int tenant_create(const std::string& data_dir, const AdminOptions& o) {
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        auto t = s.create_tenant(o.name, "attestctl", cli_context());
        if (!t) return std::unexpected(t.error().message);
        return tenant_json(*t);
      },
      [&](ApiClient& c) {
        return c.post("/v1/tenants", nlohmann::json{{"name", o.name}});
      },
      [](const nlohmann::json& t) {
        std::cout << fmt::format("tenant {} created (id {})\n", cell(member(t, "name")), cell(member(t, "id")));
      });
}

int tenant_list(const std::string& data_dir, const AdminOptions& o) {
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        auto all = s.list_tenants();
        if (!all) return std::unexpected(all.error().message);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& t : *all) out.push_back(tenant_json(t));
        return nlohmann::json{{"tenants", std::move(out)}};
      },
      [&](ApiClient& c) { return c.get("/v1/tenants"); },
      [](const nlohmann::json& j) { print_tenants(member(j, "tenants")); });
}

int tenant_delete(const std::string& data_dir, const AdminOptions& o) {
  if (!o.yes) {
    return usage(
        fmt::format("deleting tenant {} erases its hosts, policies, reference sets, keys and tokens; "
                    "add --yes to confirm",
                    o.name));
  }
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        auto t = s.delete_tenant(o.name, "attestctl", cli_context());
        if (!t) return std::unexpected(t.error().message);
        auto out = tenant_json(*t);
        out["deleted"] = true;
        return out;
      },
      [&](ApiClient& c) { return c.del("/v1/tenants/" + url_encode(o.name)); },
      [](const nlohmann::json& t) {
        std::cout << fmt::format("tenant {} deleted (id {})\n", cell(member(t, "name")), cell(member(t, "id")));
      });
}

int token_create(const std::string& data_dir, const AdminOptions& o) {
  const auto role = store::parse_role(o.role);
  if (!role) return usage("--role must be admin, attester, workload, auditor or operator");
  const bool is_operator = *role == store::Role::operator_;
  if (is_operator != o.tenant.empty()) {
    return usage(is_operator ? "an operator token belongs to no tenant: drop --tenant" : "--tenant is required");
  }
  std::optional<int64_t> lifetime;
  if (!o.expires_in.empty()) {
    lifetime = parse_duration(o.expires_in);
    if (!lifetime) return usage("--expires-in wants a positive duration such as 3600, 90m, 12h or 30d");
  }
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        const auto secret = service::generate_bearer_token();
        const auto rc = cli_context();
        store::NewToken nt;
        nt.role = *role;
        nt.token_sha256 = secret.sha256;
        if (lifetime) nt.expires_at = rc.now + std::chrono::seconds(*lifetime);
        if (!o.hosts.empty()) nt.allowed_hosts = o.hosts;
        if (!o.keys.empty()) nt.allowed_keys = o.keys;
        auto info =
            is_operator ? s.create_operator_token(nt, "attestctl", rc) : s.create_token(o.tenant, nt, "attestctl", rc);
        if (!info) return std::unexpected(info.error().message);
        auto out = token_json(*info);
        out["token"] = secret.token;
        return out;
      },
      [&](ApiClient& c) {
        nlohmann::json body = {{"role", o.role}};
        if (!is_operator) body["tenant"] = o.tenant;
        if (lifetime) body["expires_in_s"] = *lifetime;
        if (!o.hosts.empty()) body["hosts"] = o.hosts;
        if (!o.keys.empty()) body["keys"] = o.keys;
        return c.post("/v1/tokens", body);
      },
      [](const nlohmann::json& t) {
        // The token alone on stdout (scripts capture it); what it is on stderr.
        std::cout << cell(member(t, "token")) << "\n";
        std::cerr << fmt::format("token {} ({}{}{}) created; it is shown only this once\n", cell(member(t, "id")),
                                 cell(member(t, "role")), member(t, "tenant").is_null() ? "" : " of ",
                                 cell(member(t, "tenant")));
      });
}

int token_list(const std::string& data_dir, const AdminOptions& o) {
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        auto all = s.list_tokens(o.tenant);
        if (!all) return std::unexpected(all.error().message);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& t : *all) out.push_back(token_json(t));
        return nlohmann::json{{"tokens", std::move(out)}};
      },
      [&](ApiClient& c) { return c.get("/v1/tokens?tenant=" + url_encode(o.tenant)); },
      [](const nlohmann::json& j) { print_tokens(member(j, "tokens")); });
}

int token_revoke(const std::string& data_dir, const AdminOptions& o) {
  return run(
      data_dir, o,
      [&](store::Store& s) -> Json {
        auto t = s.revoke_token(o.name, "attestctl", cli_context());
        if (!t) return std::unexpected(t.error().message);
        return token_json(*t);
      },
      [&](ApiClient& c) { return c.del("/v1/tokens/" + url_encode(o.name)); },
      [](const nlohmann::json& t) {
        std::cout << fmt::format("token {} revoked at {}\n", cell(member(t, "id")), cell(member(t, "revoked_at")));
      });
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
  static std::string data_dir;
  app.add_option("--data-dir", data_dir, "attestd data directory: manage tenants and tokens offline, in its database");

  // One options object per subcommand: CLI11 fills only the one that runs, but sharing would let
  // a default of one leak into another.
  const auto command = [&exit_code](CLI::App* parent, const char* name, const char* help,
                                    int (*fn)(const std::string&, const AdminOptions&)) {
    auto o = std::make_shared<AdminOptions>();
    auto* c = parent->add_subcommand(name, help);
    add_server_options(*c, o->server);
    c->add_flag("--json", o->json, "print JSON instead of a table");
    c->callback([&exit_code, o, fn] { exit_code = fn(data_dir, *o); });
    return std::pair{c, o};
  };

  auto* tenant = app.add_subcommand("tenant", "Manage tenants (operator; offline with --data-dir)");
  tenant->require_subcommand(1);
  {
    auto [c, o] = command(tenant, "create", "Create a tenant", tenant_create);
    c->add_option("NAME", o->name, "tenant name: 1-64 of A-Z a-z 0-9 . _ -")->required();
  }
  command(tenant, "list", "List tenants", tenant_list);
  {
    auto [c, o] =
        command(tenant, "delete", "Delete a tenant, its data and its tokens (its audit chain stays)", tenant_delete);
    c->add_option("NAME", o->name, "tenant name")->required();
    c->add_flag("--yes", o->yes, "confirm: the tenant's data is erased");
  }

  auto* token = app.add_subcommand("token", "Manage API tokens (operator; offline with --data-dir)");
  token->require_subcommand(1);
  {
    auto [c, o] = command(token, "create", "Create a token and print it once", token_create);
    c->add_option("--tenant", o->tenant, "tenant name (not for --role operator)");
    c->add_option("--role", o->role, "admin | attester | workload | auditor | operator")->required();
    c->add_option("--expires-in", o->expires_in, "lifetime: seconds, or 90m, 12h, 30d (default: no expiry)");
    c->add_option("--host", o->hosts, "attester only: restrict to this host id (repeatable)");
    c->add_option("--key", o->keys, "workload only: restrict to this key name (repeatable)");
  }
  {
    auto [c, o] = command(token, "list", "List a tenant's tokens (never the tokens themselves)", token_list);
    c->add_option("--tenant", o->tenant, "tenant name")->required();
  }
  {
    auto [c, o] = command(token, "revoke", "Revoke a token by id; refused from the next request on", token_revoke);
    c->add_option("ID", o->name, "token id")->required();
  }
}

}  // namespace attestd::cli
