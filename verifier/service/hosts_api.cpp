// POST /v1/hosts, GET /v1/hosts[?after=&limit=], GET and PATCH /v1/hosts/{id}, POST /v1/tpm-roots.
#include <fmt/format.h>

#include <charconv>

#include "api_context.h"
#include "attestd/evidence/digest.h"
#include "attestd/evidence/tpm/ek_certificate.h"
#include "attestd/evidence/tpm/public_key.h"
#include "codec.h"

namespace attestd::service {

namespace {

using server::HandlerResult;
using server::Problem;
using server::Request;
using server::Response;
namespace tpm = evidence::tpm;

// ak_public is base64 TPM2B_PUBLIC, CBOR bytes, or a PEM SubjectPublicKeyInfo string.
std::expected<Bytes, Problem> ak_bytes(const nlohmann::json& body) {
  const auto it = body.find("ak_public");
  if (it != body.end() && it->is_string() && it->get_ref<const std::string&>().starts_with("-----BEGIN")) {
    const auto& pem = it->get_ref<const std::string&>();
    return Bytes(pem.begin(), pem.end());
  }
  auto bytes = bytes_field(body, "ak_public", true);
  if (!bytes) return std::unexpected(bytes.error());
  return std::move(**bytes);
}

nlohmann::json host_json(const store::Host& h) {
  return {{"host_id", h.host_id},
          {"ak_name", evidence::to_hex(h.ak_name)},
          {"trusted", h.trusted},
          {"labels", h.labels},
          {"policy", h.policy_name ? nlohmann::json(*h.policy_name) : nlohmann::json(nullptr)}};
}

HandlerResult create_host(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  auto host_id = string_field(*body, "host_id");
  if (!host_id) return std::unexpected(host_id.error());
  auto ak = ak_bytes(*body);
  if (!ak) return std::unexpected(ak.error());
  auto key = tpm::load_public_key(*ak);
  if (!key) return std::unexpected(Problem::unprocessable(std::string(key.error().id), key.error().message));
  auto ek_cert = bytes_field(*body, "ek_certificate", false);
  if (!ek_cert) return std::unexpected(ek_cert.error());

  store::NewHost host;
  host.host_id = *host_id;
  host.ak_public = std::move(*ak);
  host.ak_name.assign(key->name().begin(), key->name().end());
  host.ek_certificate = std::move(*ek_cert);
  if (auto labels = body->find("labels"); labels != body->end()) {
    if (!labels->is_object()) return std::unexpected(bad_body("\"labels\" must be an object of strings"));
    for (const auto& [k, v] : labels->items()) {
      if (!v.is_string()) return std::unexpected(bad_body(fmt::format("label \"{}\" must be a string", k)));
    }
    host.labels = *labels;
  }
  if (auto policy = body->find("policy"); policy != body->end() && !policy->is_null()) {
    if (!policy->is_string()) return std::unexpected(bad_body("\"policy\" must be a policy name"));
    host.policy_name = policy->get<std::string>();
  }
  auto created = ctx.store->create_host(*scope, host, ctx.request_context(request));
  if (!created) return std::unexpected(store_problem(created.error()));
  return Response::json(201, host_json(*created));
}

HandlerResult get_host(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto host = ctx.store->get_host(*scope, *request.param("id"));
  if (!host) return std::unexpected(store_problem(host.error()));
  return Response::json(200, host_json(*host));
}

// Pages of at most `limit` hosts; `next` is the cursor for the following page, absent on the last.
HandlerResult list_hosts(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  int64_t limit = 100;
  if (auto l = request.query_param("limit")) {
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc() || end != l->data() + l->size() || v < 1 || v > 1000) {
      return std::unexpected(Problem::bad_request("api.query_invalid", "limit must be an integer from 1 to 1000"));
    }
    limit = v;
  }
  auto hosts = ctx.store->list_hosts(*scope, request.query_param("after"), limit);
  if (!hosts) return std::unexpected(store_problem(hosts.error()));
  nlohmann::json out = {{"hosts", nlohmann::json::array()}};
  for (const auto& h : *hosts) out["hosts"].push_back(host_json(h));
  if (static_cast<int64_t>(hosts->size()) == limit) out["next"] = hosts->back().host_id;
  return Response::json(200, out);
}

// {policy?: name | null, labels?: {..}}: binds the host to a policy by name (null: by labels).
HandlerResult update_host(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  store::HostUpdate update;
  for (const auto& [key, value] : body->items()) {
    if (key == "policy") {
      if (value.is_null()) {
        update.policy_name = std::optional<std::string>();
      } else if (value.is_string() && !value.get_ref<const std::string&>().empty()) {
        update.policy_name = std::optional<std::string>(value.get<std::string>());
      } else {
        return std::unexpected(bad_body("\"policy\" must be a policy name or null"));
      }
    } else if (key == "labels") {
      if (!value.is_object()) return std::unexpected(bad_body("\"labels\" must be an object of strings"));
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) return std::unexpected(bad_body(fmt::format("label \"{}\" must be a string", k)));
      }
      update.labels = value;
    } else {
      return std::unexpected(bad_body(fmt::format("unknown field \"{}\"", key)));
    }
  }
  if (!update.policy_name && !update.labels) return std::unexpected(bad_body("nothing to change: give policy or labels"));
  auto updated = ctx.store->update_host(*scope, *request.param("id"), update, ctx.request_context(request));
  if (!updated) return std::unexpected(store_problem(updated.error()));
  return Response::json(200, host_json(*updated));
}

// A TPM manufacturer root (or intermediate) the tenant trusts for EK certificates.
HandlerResult add_tpm_root(ApiContext& ctx, const Request& request) {
  auto scope = ctx.scope(request);
  if (!scope) return std::unexpected(scope.error());
  auto body = body_object(request);
  if (!body) return std::unexpected(body.error());
  Bytes cert_bytes;
  if (auto it = body->find("certificate"); it != body->end() && it->is_string() &&
                                             it->get_ref<const std::string&>().starts_with("-----BEGIN")) {
    cert_bytes.assign(it->get_ref<const std::string&>().begin(), it->get_ref<const std::string&>().end());
  } else {
    auto b = bytes_field(*body, "certificate", true);
    if (!b) return std::unexpected(b.error());
    cert_bytes = std::move(**b);
  }
  auto cert = tpm::parse_ek_certificate(cert_bytes);
  if (!cert) return std::unexpected(Problem::unprocessable(std::string(cert.error().id), cert.error().message));
  const auto der = cert->der();
  auto root = ctx.store->add_tpm_root(*scope, der, ctx.request_context(request));
  if (!root) return std::unexpected(store_problem(root.error()));
  return Response::json(201, {{"id", root->id}, {"sha256", evidence::to_hex(root->sha256)}});
}

}  // namespace

void add_host_routes(const std::shared_ptr<ApiContext>& ctx, std::vector<server::Route>& routes) {
  using server::Method;
  using server::Role;
  const auto admin = server::Access::roles({Role::admin});
  routes.push_back({Method::post, "/v1/hosts", admin, [ctx](const Request& r) { return create_host(*ctx, r); }});
  const auto readers = server::Access::roles({Role::admin, Role::auditor});
  routes.push_back({Method::get, "/v1/hosts", readers, [ctx](const Request& r) { return list_hosts(*ctx, r); }});
  routes.push_back({Method::get, "/v1/hosts/{id}", readers, [ctx](const Request& r) { return get_host(*ctx, r); }});
  routes.push_back({Method::patch, "/v1/hosts/{id}", admin, [ctx](const Request& r) { return update_host(*ctx, r); }});
  routes.push_back({Method::post, "/v1/tpm-roots", admin, [ctx](const Request& r) { return add_tpm_root(*ctx, r); }});
}

}  // namespace attestd::service
