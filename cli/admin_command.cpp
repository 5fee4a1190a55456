// Bootstrap without the server: attestctl --data-dir DIR tenant create NAME
//                                attestctl --data-dir DIR token create --tenant NAME --role ROLE
// They open the service's SQLite database directly (the server may run: WAL and the store's busy
// handling make that safe).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "attestd/service/service.h"
#include "attestd/store/store.h"
#include "commands.h"
#include "file_io.h"

namespace attestd::cli {

namespace {

struct AdminOptions {
  std::string tenant;
  std::string role;
};

std::expected<std::unique_ptr<store::Store>, std::string> open_store(const std::string& data_dir) {
  if (data_dir.empty()) return std::unexpected("--data-dir is required");
  auto s = store::Store::open(std::filesystem::path(data_dir) / "attestd.db");
  if (!s) return std::unexpected(fmt::format("{}: {}", data_dir, s.error().message));
  return std::move(*s);
}

store::RequestContext cli_context() {
  return {std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()), "attestctl", ""};
}

int create_tenant(const std::string& data_dir, const std::string& name) {
  auto s = open_store(data_dir);
  if (!s) {
    std::cerr << "attestctl: " << s.error() << "\n";
    return kExitUsage;
  }
  auto t = (*s)->create_tenant(name, "attestctl", cli_context());
  if (!t) {
    std::cerr << "attestctl: " << t.error().message << "\n";
    return kExitInvalid;
  }
  std::cout << fmt::format("tenant {} created (id {})\n", t->name, t->id);
  return kExitValid;
}

int create_token(const std::string& data_dir, const AdminOptions& o) {
  const auto role = store::parse_role(o.role);
  if (!role || *role == store::Role::operator_) {
    std::cerr << "attestctl: --role must be admin, attester, workload or auditor\n";
    return kExitUsage;
  }
  auto s = open_store(data_dir);
  if (!s) {
    std::cerr << "attestctl: " << s.error() << "\n";
    return kExitUsage;
  }
  const auto token = service::generate_bearer_token();
  store::NewToken nt;
  nt.role = *role;
  nt.token_sha256 = token.sha256;
  auto info = (*s)->create_token(o.tenant, nt, "attestctl", cli_context());
  if (!info) {
    std::cerr << "attestctl: " << info.error().message << "\n";
    return kExitInvalid;
  }
  // The token is shown once; only its SHA-256 is stored.
  std::cout << token.token << "\n";
  return kExitValid;
}

}  // namespace

void add_admin_commands(CLI::App& app, int& exit_code) {
  static std::string data_dir;
  app.add_option("--data-dir", data_dir, "attestd data directory (for tenant and token bootstrap)");

  auto* tenant = app.add_subcommand("tenant", "Manage tenants (directly in the data directory)");
  tenant->require_subcommand(1);
  auto tenant_name = std::make_shared<std::string>();
  auto* tenant_create = tenant->add_subcommand("create", "Create a tenant");
  tenant_create->add_option("NAME", *tenant_name, "tenant name")->required();
  tenant_create->callback([&exit_code, tenant_name] { exit_code = create_tenant(data_dir, *tenant_name); });

  auto* token = app.add_subcommand("token", "Manage API tokens (directly in the data directory)");
  token->require_subcommand(1);
  auto o = std::make_shared<AdminOptions>();
  auto* token_create = token->add_subcommand("create", "Create a token and print it once");
  token_create->add_option("--tenant", o->tenant, "tenant name")->required();
  token_create->add_option("--role", o->role, "admin | attester | workload | auditor")->required();
  token_create->callback([&exit_code, o] { exit_code = create_token(data_dir, *o); });
}

}  // namespace attestd::cli
