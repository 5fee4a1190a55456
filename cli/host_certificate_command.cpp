// attestctl host certificate add|list|revoke: the TLS client certificates a host may authenticate
// with instead of a bearer token (issue 8), on a running attestd, as the tenant's admin.
#include <fmt/format.h>

#include <functional>
#include <iostream>

#include "api_client.h"
#include "commands.h"
#include "file_io.h"
#include "table.h"

namespace attestd::cli {

namespace {

struct HostCertificateOptions {
  ServerOptions server;
  bool json = false;
  std::string host_id;
  std::string certificate_file;  // PEM
  std::string certificate_id;
};

std::string revoked_cell(const nlohmann::json& c) {
  const auto it = c.find("revoked_at");
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string("-");
}

// Sends one request and prints its JSON answer (--json) or `line` of it; returns the exit code.
int run(const HostCertificateOptions& o, std::string_view method, const std::string& target,
        const nlohmann::json* body, const std::function<void(const nlohmann::json&)>& print) {
  auto client = ApiClient::create(o.server);
  if (!client) {
    std::cerr << "attestctl: " << client.error() << "\n";
    return kExitUsage;
  }
  auto r = client->request(method, target, body);
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto j = r->json();
  if (!j) {
    std::cerr << "attestctl: " << j.error() << "\n";
    return kExitInvalid;
  }
  if (o.json) {
    std::cout << j->dump(2) << "\n";
  } else {
    print(*j);
  }
  return kExitValid;
}

std::string certificates_path(const HostCertificateOptions& o) {
  return "/v1/hosts/" + url_encode(o.host_id) + "/certificates";
}

int add(const HostCertificateOptions& o) {
  auto pem = read_file(o.certificate_file);
  if (!pem) {
    std::cerr << "attestctl: " << pem.error() << "\n";
    return kExitUsage;
  }
  const nlohmann::json body = {{"certificate", std::string(pem->begin(), pem->end())}};
  return run(o, "POST", certificates_path(o), &body, [](const nlohmann::json& c) {
    std::cout << fmt::format("certificate {} registered for host {}\nsha256:    {}\nvalid:     {} .. {}\n",
                             c.value("certificate_id", ""), c.value("host_id", ""), c.value("sha256", ""),
                             c.value("not_before", ""), c.value("not_after", ""));
  });
}

int list(const HostCertificateOptions& o) {
  return run(o, "GET", certificates_path(o), nullptr, [](const nlohmann::json& page) {
    Table t({"certificate", "sha256", "not after", "revoked"});
    for (const auto& c : page.value("certificates", nlohmann::json::array())) {
      t.add({c.value("certificate_id", ""), c.value("sha256", ""), c.value("not_after", ""), revoked_cell(c)});
    }
    t.print(std::cout);
  });
}

int revoke(const HostCertificateOptions& o) {
  return run(o, "DELETE", certificates_path(o) + "/" + url_encode(o.certificate_id), nullptr,
             [](const nlohmann::json& c) {
               std::cout << fmt::format("certificate {} of host {} revoked at {}\n", c.value("certificate_id", ""),
                                        c.value("host_id", ""), revoked_cell(c));
             });
}

}  // namespace

void add_host_certificate_commands(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<HostCertificateOptions>();
  auto* host = app.add_subcommand("host", "one host's credentials on a running attestd");
  host->require_subcommand(1);
  auto* cert = host->add_subcommand("certificate", "TLS client certificates the host authenticates with");
  cert->require_subcommand(1);

  auto* add_cmd = cert->add_subcommand("add", "register a client certificate (PEM) for a host");
  add_cmd->add_option("HOST", opts->host_id, "host id")->required();
  add_cmd->add_option("CERTIFICATE", opts->certificate_file, "PEM certificate file")->required();
  add_server_options(*add_cmd, opts->server);
  add_cmd->add_flag("--json", opts->json, "print JSON");
  add_cmd->callback([opts, &exit_code] { exit_code = add(*opts); });

  auto* list_cmd = cert->add_subcommand("list", "the host's certificates, revoked ones included");
  list_cmd->add_option("HOST", opts->host_id, "host id")->required();
  add_server_options(*list_cmd, opts->server);
  list_cmd->add_flag("--json", opts->json, "print JSON instead of a table");
  list_cmd->callback([opts, &exit_code] { exit_code = list(*opts); });

  auto* revoke_cmd = cert->add_subcommand("revoke", "revoke one: refused from the next request on");
  revoke_cmd->add_option("HOST", opts->host_id, "host id")->required();
  revoke_cmd->add_option("CERTIFICATE_ID", opts->certificate_id, "certificate id")->required();
  add_server_options(*revoke_cmd, opts->server);
  revoke_cmd->add_flag("--json", opts->json, "print JSON");
  revoke_cmd->callback([opts, &exit_code] { exit_code = revoke(*opts); });
}

}  // namespace attestd::cli
