// attestctl hosts list|show|assign-policy: the tenant's fleet as the server sees it.
#include <fmt/format.h>

#include <iostream>
#include <map>

#include "api_client.h"
#include "commands.h"
#include "file_io.h"
#include "table.h"

namespace attestd::cli {

namespace {

struct HostsOptions {
  ServerOptions server;
  bool json = false;
  std::string host_id;
  std::string policy;
  bool by_labels = false;
  std::vector<std::string> labels;  // KEY=VALUE
};

std::string policy_cell(const nlohmann::json& host) {
  const auto it = host.find("policy");
  return it != host.end() && it->is_string() ? it->get<std::string>() : std::string("(by labels)");
}

std::string labels_cell(const nlohmann::json& host) {
  std::string out;
  if (auto it = host.find("labels"); it != host.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!out.empty()) out += ",";
      out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return out;
}

int list(const HostsOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) {
    std::cerr << "attestctl: " << client.error() << "\n";
    return kExitUsage;
  }
  // Every page: an operator listing the fleet wants all of it, the server caps each page.
  nlohmann::json all = nlohmann::json::array();
  std::string after;
  for (;;) {
    std::string target = "/v1/hosts?limit=1000";
    if (!after.empty()) target += "&after=" + url_encode(after);
    auto r = client->get(target);
    if (int rc = report_api_error(r); rc != kExitValid) return rc;
    auto page = r->json();
    if (!page || !page->contains("hosts")) {
      std::cerr << "attestctl: unexpected answer from " << client->url() << "\n";
      return kExitInvalid;
    }
    for (auto& h : (*page)["hosts"]) all.push_back(std::move(h));
    if (!page->contains("next")) break;
    after = (*page)["next"].get<std::string>();
  }
  if (o.json) {
    std::cout << all.dump(2) << "\n";
    return kExitValid;
  }
  Table t({"host", "trusted", "policy", "labels"});
  for (const auto& h : all) {
    t.add({h.value("host_id", ""), h.value("trusted", false) ? "yes" : "no", policy_cell(h), labels_cell(h)});
  }
  t.print(std::cout);
  return kExitValid;
}

int show(const HostsOptions& o) {
  auto client = ApiClient::create(o.server);
  if (!client) {
    std::cerr << "attestctl: " << client.error() << "\n";
    return kExitUsage;
  }
  auto r = client->get("/v1/hosts/" + url_encode(o.host_id));
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto h = r->json();
  if (!h) {
    std::cerr << "attestctl: " << h.error() << "\n";
    return kExitInvalid;
  }
  if (o.json) {
    std::cout << h->dump(2) << "\n";
    return kExitValid;
  }
  std::cout << fmt::format("host:     {}\ntrusted:  {}\npolicy:   {}\nlabels:   {}\nak name:  {}\n",
                           h->value("host_id", ""), h->value("trusted", false) ? "yes" : "no", policy_cell(*h),
                           labels_cell(*h), h->value("ak_name", ""));
  return kExitValid;
}

int assign_policy(const HostsOptions& o) {
  if (o.by_labels == !o.policy.empty()) {
    std::cerr << "attestctl: give either a POLICY name or --by-labels\n";
    return kExitUsage;
  }
  nlohmann::json body = {{"policy", o.by_labels ? nlohmann::json(nullptr) : nlohmann::json(o.policy)}};
  if (!o.labels.empty()) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& kv : o.labels) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "attestctl: --label wants KEY=VALUE, got '" << kv << "'\n";
        return kExitUsage;
      }
      labels[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    body["labels"] = std::move(labels);
  }
  auto client = ApiClient::create(o.server);
  if (!client) {
    std::cerr << "attestctl: " << client.error() << "\n";
    return kExitUsage;
  }
  auto r = client->request("PATCH", "/v1/hosts/" + url_encode(o.host_id), &body);
  if (int rc = report_api_error(r); rc != kExitValid) return rc;
  auto h = r->json();
  if (!h) {
    std::cerr << "attestctl: " << h.error() << "\n";
    return kExitInvalid;
  }
  if (o.json) {
    std::cout << h->dump(2) << "\n";
  } else {
    std::cout << fmt::format("{}: policy {}\n", h->value("host_id", ""), policy_cell(*h));
  }
  return kExitValid;
}

}  // namespace

void add_hosts_commands(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<HostsOptions>();
  auto* hosts = app.add_subcommand("hosts", "the tenant's hosts on a running attestd");
  hosts->require_subcommand(1);

  auto* list_cmd = hosts->add_subcommand("list", "every host: id, trust, policy binding, labels");
  add_server_options(*list_cmd, opts->server);
  list_cmd->add_flag("--json", opts->json, "print JSON instead of a table");
  list_cmd->callback([opts, &exit_code] { exit_code = list(*opts); });

  auto* show_cmd = hosts->add_subcommand("show", "one host");
  show_cmd->add_option("HOST", opts->host_id, "host id")->required();
  add_server_options(*show_cmd, opts->server);
  show_cmd->add_flag("--json", opts->json, "print JSON");
  show_cmd->callback([opts, &exit_code] { exit_code = show(*opts); });

  auto* assign = hosts->add_subcommand("assign-policy", "bind a host to a policy by name, or to selection by labels");
  assign->add_option("HOST", opts->host_id, "host id")->required();
  assign->add_option("POLICY", opts->policy, "policy name");
  assign->add_flag("--by-labels", opts->by_labels, "clear the name: the policy whose labels match is used");
  assign->add_option("--label", opts->labels, "replace the host's labels (KEY=VALUE, repeatable)");
  add_server_options(*assign, opts->server);
  assign->add_flag("--json", opts->json, "print JSON");
  assign->callback([opts, &exit_code] { exit_code = assign_policy(*opts); });
}

}  // namespace attestd::cli
